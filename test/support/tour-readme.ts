/**
 * The README's tour is docs/tour.sh: each `# --- tour:begin NAME` … `# --- tour:end` section of
 * the script appears in the README as a ```sh block right after a `<!-- tour:NAME -->` line.
 * `node test/support/tour-readme.ts --write` copies the script's sections into the README;
 * test/tour.test.ts checks that the two are equal.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const tourScript = fileURLToPath(new URL('../../docs/tour.sh', import.meta.url));
export const readmeFile = fileURLToPath(new URL('../../README.md', import.meta.url));

/** The script's tour sections, in order: name → the lines between the markers. */
export function tourSections(script: string): Map<string, string> {
  const sections = new Map<string, string>();
  const re = /^# --- tour:begin ([a-z0-9-]+)\n([\s\S]*?)^# --- tour:end$/gm;
  for (const m of script.matchAll(re)) {
    const [, name, body] = m;
    if (sections.has(name!)) throw new Error(`docs/tour.sh: section ${name} appears twice`);
    sections.set(name!, body!);
  }
  return sections;
}

const readmeBlock = /^<!-- tour:([a-z0-9-]+) -->\n```sh\n([\s\S]*?)^```$/gm;

/** The README's tour blocks: name → the code inside the fence. */
export function readmeTourBlocks(readme: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of readme.matchAll(readmeBlock)) {
    if (blocks.has(m[1]!)) throw new Error(`README.md: tour block ${m[1]} appears twice`);
    blocks.set(m[1]!, m[2]!);
  }
  return blocks;
}

/** The README with each tour block replaced by the script's section of the same name. */
export function withTourSections(readme: string, sections: ReadonlyMap<string, string>): string {
  return readme.replace(readmeBlock, (whole, name: string) => {
    const body = sections.get(name);
    return body === undefined ? whole : `<!-- tour:${name} -->\n\`\`\`sh\n${body}\`\`\``;
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  const sections = tourSections(await readFile(tourScript, 'utf8'));
  await writeFile(readmeFile, withTourSections(await readFile(readmeFile, 'utf8'), sections));
  process.stdout.write(`README.md: ${sections.size} tour sections copied from docs/tour.sh\n`);
}
