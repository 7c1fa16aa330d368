// The seeded products and SBOMs of the vulnerability bench: five products of different stacks,
// 500 releases between them, 2,000 components per release. A product's releases share most
// components: each SBOM slot keeps its package, and its version drifts slowly (four slots in ten
// never move, one in five moves a lot); one slot in twenty changes package at some release.
// Popular packages (a Debian base, common libraries) appear in every product.
import { seededRandom } from '../src/testkit/seeded-random.ts';
import { ecosystems, popularIndex, sbomComponent, VERSIONS_PER_PACKAGE, weighted, type SbomEcosystem } from './vulns-packages.ts';

export interface BenchProduct {
  sku: string;
  name: string;
  releases: number;
  /** its part of the fleet */
  deviceShare: number;
  /** ecosystem → part of its SBOM */
  mix: [SbomEcosystem, number][];
}

const PRODUCTS: BenchProduct[] = [
  { sku: 'gw-linux', name: 'Gateway (Debian, Python, Go)', releases: 200, deviceShare: 0.5, mix: [['deb', 0.45], ['pypi', 0.2], ['golang', 0.15], ['npm', 0.15], ['cargo', 0.05]] },
  { sku: 'cam-edge', name: 'Camera (Debian, Rust, Go)', releases: 150, deviceShare: 0.25, mix: [['deb', 0.4], ['cargo', 0.2], ['golang', 0.2], ['npm', 0.2]] },
  { sku: 'ctl-java', name: 'Controller (Java)', releases: 80, deviceShare: 0.12, mix: [['maven', 0.5], ['deb', 0.35], ['npm', 0.15]] },
  { sku: 'hub-node', name: 'Hub (Node.js)', releases: 50, deviceShare: 0.08, mix: [['npm', 0.6], ['deb', 0.3], ['pypi', 0.1]] },
  { sku: 'rtr-core', name: 'Router (Debian, Go, Rust)', releases: 20, deviceShare: 0.05, mix: [['deb', 0.5], ['golang', 0.25], ['cargo', 0.15], ['npm', 0.1]] },
];

/** The products with their releases scaled to `totalReleases` in all (500: 200, 150, 80, 50, 20). */
export function benchProducts(totalReleases: number): BenchProduct[] {
  const scaled = PRODUCTS.map((p) => ({ ...p, releases: Math.max(1, Math.round((p.releases * totalReleases) / 500)) }));
  scaled[0]!.releases += totalReleases - scaled.reduce((n, p) => n + p.releases, 0);
  return scaled;
}

/** The release version of index r: 3.r/10.r%10 style, one line per product. */
export const releaseVersion = (r: number): string => `${1 + Math.floor(r / 100)}.${Math.floor(r / 10) % 10}.${r % 10}`;

export interface BenchComponent {
  name: string;
  version: string;
  /** null: a component without a purl (in-house code), never matched */
  purl: string | null;
  /** [ecosystem, package index, variant] for the purl key cache; null without a purl */
  package: [SbomEcosystem, number, number] | null;
}

interface Slot {
  /** undefined: an in-house component without a purl */
  eco: SbomEcosystem | undefined;
  packages: [number, number]; // before and from `switchAt`
  switchAt: number;
  variant: number;
  start: number;
  /** version steps over the product's releases */
  drift: number;
}

/** A product's SBOMs, release by release (r beyond its releases: later ones, still drifting). */
export class ProductSboms {
  readonly #slots: Slot[];
  readonly #releases: number;

  constructor(productIndex: number, product: BenchProduct, components: number) {
    const random = seededRandom(0x5b0 + productIndex);
    this.#releases = product.releases;
    this.#slots = [];
    for (let j = 0; j < components; j++) {
      const eco = random() < 0.015 ? undefined : weighted(product.mix, random());
      const draw = (): number => (eco === undefined ? j : popularIndex(ecosystems[eco].pool, random()));
      const u = random();
      const drift = u < 0.4 ? 0 : u < 0.8 ? 1 + Math.floor(random() * 4) : 5 + Math.floor(random() * 11);
      this.#slots.push({ eco, packages: [draw(), draw()], switchAt: random() < 0.05 ? Math.floor(random() * product.releases) : Infinity, variant: j, start: Math.floor(random() * 24), drift });
    }
  }

  componentsAt(r: number): BenchComponent[] {
    return this.#slots.map((s) => {
      const k = Math.min(VERSIONS_PER_PACKAGE - 1, s.start + Math.floor((s.drift * r) / this.#releases));
      if (s.eco === undefined) return { name: `in-house-${s.variant}`, version: `${1 + Math.floor(r / 10)}.${r % 10}`, purl: null, package: null };
      const i = r < s.switchAt ? s.packages[0] : s.packages[1];
      return { ...sbomComponent(s.eco, i, k, s.variant), package: [s.eco, i, s.variant % 3] };
    });
  }
}

/** The release's SBOM as CycloneDX 1.6 JSON, as a release would upload it. */
export function cycloneDx(product: BenchProduct, version: string, components: readonly BenchComponent[]): Record<string, unknown> {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: { component: { type: 'firmware', name: product.sku, version } },
    components: components.map((c) => ({ type: 'library', name: c.name, version: c.version, ...(c.purl === null ? {} : { purl: c.purl }) })),
  };
}
