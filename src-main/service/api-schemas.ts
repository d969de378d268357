// The service boundary's check: every call's method name and argument against the app API's table
// (src-shared/api.ts), whichever transport (Electron IPC or the browser host) the call came through.
import { APP_API, type AppApiArg, type AppApiMethod } from '../../src-shared/api';
import { check } from './check-argument';

export function isApiMethod(name: unknown): name is AppApiMethod {
  return typeof name === 'string' && Object.hasOwn(APP_API, name);
}

/** Checks one call's argument against its method's schema; unknown fields and methods are refused. */
export function checkApiArgument<M extends AppApiMethod>(method: M, arg: unknown): AppApiArg<M> {
  return check(APP_API[method].arg, arg, `${method}()`) as AppApiArg<M>;
}
