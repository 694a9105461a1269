const ZERO = "0".charCodeAt(0);
const NINE = "9".charCodeAt(0);

function lowerLast(offset: string, canLower: (code: number) => boolean): string | undefined {
  for (let index = offset.length - 1; index >= 0; index -= 1) {
    const code = offset.charCodeAt(index);
    if (canLower(code)) {
      return offset.slice(0, index) + String.fromCharCode(code - 1) + offset.slice(index + 1);
    }
  }
  return undefined;
}

/**
 * An offset that sorts strictly before `offset` (offsets compare
 * lexicographically), for faking a server whose `Stream-Next-Offset` goes
 * backwards. Keeps the shape where it can: the last digit above `0` is
 * lowered by one (`..._0042` becomes `..._0041`, separators stay), else the
 * last character above `0` (`now` becomes `nov`). When there is none
 * (`0000`) the last character is dropped, since a proper prefix sorts first
 * too. Returns `undefined` for the empty string, which nothing precedes.
 */
export function offsetBefore(offset: string): string | undefined {
  if (offset === "") return undefined;
  return (
    lowerLast(offset, (code) => code > ZERO && code <= NINE) ??
    lowerLast(offset, (code) => code > ZERO) ??
    offset.slice(0, -1)
  );
}
