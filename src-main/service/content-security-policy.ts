// The renderer's Content-Security-Policy, shared by the browser host (HTTP header) and Electron (protocol
// response header): only our own scripts, no remote content, no inline script, no framing.
// Inline styles stay allowed because Svelte sets `style` attributes at run time; scripts are what matters.
export function contentSecurityPolicy(options: { mediaScheme?: string } = {}): string {
  const media = options.mediaScheme ? ` ${options.mediaScheme}:` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${media}`,
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
