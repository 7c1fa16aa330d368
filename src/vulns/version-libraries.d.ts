// The two version libraries that ship no type declarations: only what trustplane calls.

declare module 'mvncmp' {
  /** Maven 3's ComparableVersion order: negative, zero or positive. */
  export function compare(a: string, b: string): number;
}

declare module 'deb-version-compare' {
  /** Debian Policy §5.6.12 order: -1, 0 or 1. */
  function compare(a: string, b: string): number;
  export default compare;
}
