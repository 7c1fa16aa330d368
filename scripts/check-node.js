// npm's postinstall: runs on the first `node` on PATH, which in an npm script is the pinned one from
// node_modules/.bin when the optional dependency node-linux-<cpu> installed. Plain JavaScript: it
// must run on an old Node too, to say in one line what is needed.
import { stripsTypes, tooOldLine } from '../bin/runtime.js';

const npmNode = /\bnode\/(v[\d.]+)/.exec(process.env.npm_config_user_agent ?? '')?.[1];

if (!stripsTypes(process.version)) {
  const platform = `${process.platform}-${process.arch}`;
  process.stderr.write(`${tooOldLine(process.version, `npm installed no Node for ${platform}; install Node 24`)}\n`);
  process.exit(1);
}
if (npmNode !== undefined && !stripsTypes(npmNode)) {
  // npm itself runs on an older Node: its EBADENGINE warnings are about that Node, not the one used.
  process.stderr.write(
    `trustplane: npm runs on Node ${npmNode} (the EBADENGINE warnings above); npm start, npm test and ` +
      `npx trustplane run on Node ${process.version} from node_modules/.bin\n`,
  );
}
