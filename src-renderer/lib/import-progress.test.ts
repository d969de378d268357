import { describe, expect, it } from 'vitest';
import { baseName, importProgressText, newImportRun } from './import-progress';

describe('importProgressText', () => {
  it('says which folder is being read before the files are counted', () => {
    expect(importProgressText(newImportRun('/home/ann/Pictures/2024/', 0, 'i1'))).toBe('Looking for photos in 2024…');
  });

  it('counts the file being read from 1, and names it', () => {
    expect(importProgressText({ ...newImportRun('/p', 0, 'i1'), done: 2, total: 120, path: 'C:\\Photos\\beach.jpg' })).toBe(
      'Importing 3 of 120: beach.jpg',
    );
  });

  it('says it is stopping once cancelled', () => {
    expect(importProgressText({ ...newImportRun('/p/a.jpg', 5), cancelling: true })).toBe('Stopping after a.jpg…');
  });
});

describe('baseName', () => {
  it('takes the last part of POSIX and Windows paths', () => {
    expect(baseName('/a/b/c.png')).toBe('c.png');
    expect(baseName('C:\\a\\d.jpg')).toBe('d.jpg');
    expect(baseName('e.jpg')).toBe('e.jpg');
  });
});
