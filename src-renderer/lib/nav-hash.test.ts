import { describe, expect, it } from 'vitest';
import { hashOf, placeOf, type Place } from './nav-hash';

describe('nav hash', () => {
  it('gives every screen and photo an address, and reads it back', () => {
    const places: Place[] = [
      { page: 'library', photoId: null },
      { page: 'photo', photoId: '3f2a-9c' },
      { page: 'photo', photoId: 'a/b c' },
      { page: 'batch', photoId: null },
      { page: 'models', photoId: null },
    ];
    expect(places.map(hashOf)).toEqual(['', '#/photo/3f2a-9c', '#/photo/a%2Fb%20c', '#/batch', '#/models']);
    for (const place of places) expect(placeOf(hashOf(place))).toEqual(place);
  });

  it('takes an unknown or empty address for the library', () => {
    for (const hash of ['', '#', '#/', '#/nowhere', '#/photo', '#/photo/'])
      expect(placeOf(hash)).toEqual({ page: 'library', photoId: null });
  });
});
