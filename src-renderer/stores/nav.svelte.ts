// Which screen is showing. The photo screen is the library's detail view, so "back" returns to the grid.
export type Page = 'library' | 'photo' | 'batch' | 'models';

export const nav = $state({
  page: 'library' as Page,
  photoId: null as string | null,
});

export function openPhoto(photoId: string): void {
  nav.photoId = photoId;
  nav.page = 'photo';
}

export function go(page: Page): void {
  nav.page = page;
}
