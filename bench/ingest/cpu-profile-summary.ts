/**
 * Summarises V8 .cpuprofile files (written when the bench runs with
 * BENCH_CPU_PROF_DIR set) by self time: per package or file of ours, and the
 * top functions. Usage: node dist/bench/ingest/cpu-profile-summary.js FILE...
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a frame belongs: an npm package, a file of ours, node internals, or a V8 pseudo-frame. */
export function bucketOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  if (url.startsWith('node:')) return url;
  const ours = /\/dist\/((?:apps|libs)\/[^/]+)\//.exec(url);
  return ours ? ours[1] : url;
}

export function summarise(p: Profile, top = 15): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const buckets = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    total += us;
    const b = bucketOf(n.callFrame.url, n.callFrame.functionName);
    buckets.set(b, (buckets.get(b) ?? 0) + us);
    const f = `${n.callFrame.functionName || '(anonymous)'} ${bucketOf(n.callFrame.url, '')}:${n.callFrame.lineNumber + 1}`;
    fns.set(f, (fns.get(f) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`;
  const lines = [`wall ${(total / 1e6).toFixed(1)} s sampled`, 'by package/file (self time):'];
  for (const [b, us] of [...buckets].sort((a, c) => c[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us).padStart(6)}  ${b}`);
  lines.push('top functions (self time):');
  for (const [f, us] of [...fns].sort((a, c) => c[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us).padStart(6)}  ${f}`);
  return lines.join('\n');
}

if (require.main === module) {
  for (const file of process.argv.slice(2)) {
    process.stdout.write(`== ${file}\n${summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile)}\n`);
  }
}
