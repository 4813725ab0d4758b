/**
 * The part of a fingerprint's OS string that decides kernel speed: platform and architecture,
 * not the kernel build — `linux 6.18.44-fc-v1272 x64` → `linux x64`. Plans and latency tables
 * recorded with a release string still match a machine of the same kind on another kernel build;
 * browser strings (`Linux x86_64`, `macOS`) pass through.
 */
export function osKey(os: string): string {
  const t = os.trim().split(/\s+/);
  return t.length >= 3 ? `${t[0]} ${t[t.length - 1]}` : os.trim();
}
