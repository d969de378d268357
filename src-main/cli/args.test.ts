import { describe, expect, it } from 'vitest';
import { CliUsageError, intOption, numberOption, parseOptions, requireOption } from './args';

const SPEC = { name: { type: 'string' }, json: { type: 'boolean' }, tag: { type: 'string', multiple: true, short: 't' } } as const;

describe('parseOptions', () => {
  it('reads strings, booleans, repeated and short options', () => {
    const { values } = parseOptions(['--name', 'fox', '--json', '-t', 'a', '--tag', 'b'], SPEC);
    expect(values).toEqual({ name: 'fox', json: true, tag: ['a', 'b'] });
  });

  it.each([
    [['--colour', 'red'], /Unknown option '--colour'/],
    [['--name'], /Option '--name <value>' argument missing/],
    [['stray'], /Unexpected argument 'stray'/],
  ])('turns %j into a usage error', (argv, message) => {
    expect(() => parseOptions(argv, SPEC)).toThrow(CliUsageError);
    expect(() => parseOptions(argv, SPEC)).toThrow(message);
  });

  it('puts a complaint node:util spreads over lines on one line', () => {
    expect(() => parseOptions(['--name', '-0.5'], SPEC)).toThrow(
      new CliUsageError(
        "Option '--name' argument is ambiguous. Did you forget to specify the option argument for '--name'? To specify an option argument starting with a dash use '--name=-XYZ'.",
      ),
    );
  });

  it('accepts positionals only when allowed', () => {
    expect(parseOptions(['a', '--json', 'b'], SPEC, true).positionals).toEqual(['a', 'b']);
  });
});

describe('requireOption', () => {
  it('returns a present value and refuses a missing or empty one', () => {
    expect(requireOption({ model: 'dir' }, 'model')).toBe('dir');
    expect(() => requireOption({}, 'model')).toThrow(new CliUsageError('missing required option --model'));
    expect(() => requireOption({ model: '' }, 'model')).toThrow('missing required option --model');
    expect(() => requireOption({ model: true }, 'model')).toThrow('missing required option --model');
  });
});

describe('intOption', () => {
  it('parses whole numbers at or above the minimum, with a fallback when absent', () => {
    expect(intOption({ n: '12' }, 'n', 5)).toBe(12);
    expect(intOption({}, 'n', 5)).toBe(5);
    expect(intOption({ n: '1' }, 'n', 5, 1)).toBe(1);
  });

  it.each(['1.5', 'ten', '', ' ', '-1', '0x10', '1e3', '+4', ' 4', '4 ', '1_000', '99999999999999999999'])('refuses %j', (v) => {
    expect(() => intOption({ n: v }, 'n', 5)).toThrow(new CliUsageError(`--n must be an integer >= 0, got '${v}'`));
  });

  it('names the minimum it enforces', () => {
    expect(() => intOption({ n: '0' }, 'n', 5, 1)).toThrow("--n must be an integer >= 1, got '0'");
  });
});

describe('numberOption', () => {
  it('parses finite numbers, with a fallback when absent', () => {
    expect(numberOption({ t: '0.7' }, 't', 0)).toBe(0.7);
    expect(numberOption({ t: '-2' }, 't', 0)).toBe(-2);
    expect(numberOption({}, 't', 1)).toBe(1);
  });

  it.each(['warm', 'Infinity', 'NaN', ''])('refuses %j', (v) => {
    expect(() => numberOption({ t: v }, 't', 0)).toThrow(new CliUsageError(`--t must be a number, got '${v}'`));
  });
});
