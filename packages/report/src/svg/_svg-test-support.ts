/** Pull attribute values and elements out of generated SVG (regex: the output is our own, regular markup). */
export function attrs(svg: string, tag: string, attr: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${tag}\\b[^>]*?\\s${attr}="([^"]*)"`, 'g');
  for (let m = re.exec(svg); m; m = re.exec(svg)) out.push(m[1]);
  return out;
}

export function texts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

export function count(svg: string, tag: string): number {
  return (svg.match(new RegExp(`<${tag}\\b`, 'g')) ?? []).length;
}

/** Well-formed enough: every opened element is closed, in order (no self-check of attributes). */
export function balanced(svg: string): boolean {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z][\w-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (close) {
      if (stack.pop() !== name) return false;
    } else stack.push(name);
  }
  return stack.length === 0;
}
