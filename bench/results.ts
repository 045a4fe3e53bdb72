import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { ROOT } from '../dev/stack.ts';

const FILE = `${ROOT}bench/RESULTS.md`;

export function machine(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 1024 ** 3)} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** Replaces one benchmark's section of bench/RESULTS.md, keeping the others. */
export async function writeSection(name: string, markdown: string): Promise<void> {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  let doc = await readFile(FILE, 'utf8').catch(
    () => '# Benchmarks\n\nEach section is written by the script it names; re-run it to refresh.\n',
  );
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  doc = i >= 0 && j > i ? doc.slice(0, i) + block + doc.slice(j + end.length) : `${doc.trimEnd()}\n\n${block}\n`;
  await writeFile(FILE, doc);
}
