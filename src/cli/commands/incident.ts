import type { Command } from 'commander';
import { apiPath } from '../api-client.ts';
import { clientFor } from '../connection.ts';
import { isoInstant } from '../options.ts';
import { formatTable, print, printJson } from '../output.ts';
import { formatCase, type CaseAnswer } from './report-views.ts';

interface Incident {
  id: string;
  product: string;
  caseId: string;
  awareAt: string;
  description: string;
  recordedBy: string;
  recordedAt: string;
}

/** `incident record|list`: a product's severe incidents (CRA Art 14(3)); their reports are `vuln report … --incident`. */
export function registerIncidentCommands(program: Command): void {
  const incident = program.command('incident').description('severe incidents having an impact on the security of a product (CRA Art 14(3)): recording one starts its Article 14 clocks');

  incident
    .command('record')
    .description('record a severe incident and when you became aware of it: its early warning is due in 24 h, its notification in 72 h')
    .requiredOption('--product <sku>', 'the product')
    .requiredOption('--description <text>', 'what happened (up to 2000 characters)')
    .option('--aware-at <time>', 'when you became aware (default now; give it to make a retry safe)', isoInstant)
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; description: string; awareAt?: string; json?: boolean }, cmd: Command) => {
      const answer = await (await clientFor(cmd)).postJson<{ changed: boolean; incident: Incident; case: CaseAnswer }>(apiPath`/v1/products/${o.product}/incidents`, {
        description: o.description,
        ...(o.awareAt === undefined ? {} : { awareAt: o.awareAt }),
      });
      if (o.json === true) return printJson(answer);
      print(`incident ${answer.incident.id} ${answer.changed ? 'recorded' : 'was recorded already'}\n\n${formatCase(answer.case)}`);
    });

  incident
    .command('list')
    .description("a product's incidents")
    .requiredOption('--product <sku>', 'the product')
    .option('--json', 'print the raw JSON answer')
    .action(async (o: { product: string; json?: boolean }, cmd: Command) => {
      const answer = await (await clientFor(cmd)).getJson<{ items: Incident[] }>(apiPath`/v1/products/${o.product}/incidents`);
      if (o.json === true) return printJson(answer);
      print(
        formatTable(answer.items, [
          { header: 'INCIDENT', value: (i) => i.id },
          { header: 'AWARE AT', value: (i) => i.awareAt },
          { header: 'CASE', value: (i) => i.caseId },
          { header: 'DESCRIPTION', value: (i) => i.description.replace(/\s+/g, ' ').slice(0, 80) },
        ]),
      );
    });
}
