// Each screen, and each photo, has its own address: the part after '#', so the host's token in the query stays
// as it is and a reload, the back and forward buttons and a bookmark keep the person's place.
export type Page = 'library' | 'photo' | 'batch' | 'models';

export interface Place {
  page: Page;
  photoId: string | null;
}

/** '#/photo/<id>', '#/batch', '#/models'; the library is the bare address. */
export function hashOf(place: Place): string {
  if (place.page === 'photo' && place.photoId) return `#/photo/${encodeURIComponent(place.photoId)}`;
  return place.page === 'library' ? '' : `#/${place.page}`;
}

/** The place an address names; anything unknown is the library. */
export function placeOf(hash: string): Place {
  const [page, id] = hash.replace(/^#\/?/, '').split('/');
  if (page === 'photo' && id) return { page: 'photo', photoId: decodeURIComponent(id) };
  if (page === 'batch' || page === 'models') return { page, photoId: null };
  return { page: 'library', photoId: null };
}
