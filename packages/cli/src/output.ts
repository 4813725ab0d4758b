/**
 * Where the CLI writes: human text and progress go to stderr when `--json` is given, so
 * stdout carries exactly one JSON document as its last line.
 */
export interface Output {
  json: boolean;
  /** Human-readable line (stdout normally, stderr in --json mode). */
  info(line: string): void;
  /** The machine result: JSON on stdout in --json mode, else nothing. */
  result(value: unknown): void;
  /** Progress line that overwrites itself on a TTY. */
  progress(line: string): void;
  endProgress(): void;
}

export function makeOutput(json: boolean): Output {
  const human = json ? process.stderr : process.stdout;
  const tty = !!process.stderr.isTTY;
  let open = false;
  let lastPlain = 0;
  return {
    json,
    info(line) {
      if (open) this.endProgress();
      human.write(line + '\n');
    },
    result(value) {
      if (json) process.stdout.write(JSON.stringify(value) + '\n');
    },
    progress(line) {
      if (tty) {
        process.stderr.write('\r\x1b[2K' + line);
        open = true;
      } else if (Date.now() - lastPlain > 5000) {
        // Not a terminal (CI, a log file): a line every few seconds instead of redrawing.
        lastPlain = Date.now();
        process.stderr.write(line + '\n');
      }
    },
    endProgress() {
      if (open && tty) process.stderr.write('\n');
      open = false;
    },
  };
}

/** `[#####.....] 42% 120/287 phase ETA 1m05s` */
export function progressBar(phase: string, done: number, total: number, etaSec?: number, width = 24): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const n = Math.round(f * width);
  const eta = etaSec !== undefined && Number.isFinite(etaSec) ? ` ETA ${formatDuration(etaSec)}` : '';
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}] ${(f * 100).toFixed(0).padStart(3)}% ${done}/${total} ${phase}${eta}`;
}

export function formatDuration(sec: number): string {
  if (sec < 60) return `${Math.round(sec)}s`;
  const m = Math.floor(sec / 60);
  const s = Math.round(sec % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(3)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(3)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(3)} K`;
  return String(n);
}
