// Which screen is showing. The photo screen is the library's detail view, so "back" returns to the grid. The place
// is mirrored in the address (lib/nav-hash.ts): reload, back and forward keep it.
import { hashOf, placeOf, type Page } from '../lib/nav-hash';

export type { Page };

export const nav = $state(placeOf(location.hash));

function show(page: Page, photoId: string | null): void {
  nav.page = page;
  nav.photoId = photoId;
  const hash = hashOf(nav);
  // A new history entry per move, so the browser's back button steps back through the screens.
  if (hash !== location.hash) history.pushState(null, '', hash || location.pathname + location.search);
}

export function openPhoto(photoId: string): void {
  show('photo', photoId);
}

export function go(page: Page): void {
  show(page, page === 'photo' ? nav.photoId : null);
}

/** Follows the back and forward buttons (and an address typed in); returns the function that stops it. */
export function followAddress(): () => void {
  const onPop = () => Object.assign(nav, placeOf(location.hash));
  window.addEventListener('popstate', onPop);
  return () => window.removeEventListener('popstate', onPop);
}
