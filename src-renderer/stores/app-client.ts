// The page's single client: every store talks to the app through it.
import { createClient } from '../lib/client';

export const client = createClient();
