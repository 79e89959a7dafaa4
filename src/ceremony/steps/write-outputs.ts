/**
 * Step 7: write the metadata files — atomically, never over an existing file — read each back, and record
 * its SHA-256. On a resumed ceremony a file already written is kept if it has the recorded (or, when the
 * interruption came between writing and recording, the expected) bytes; any other file under that name is
 * refused, never replaced.
 */
import { join } from 'node:path';
import { CeremonyError, isCeremonyError } from '../../errors.js';
import { bytesEqual, sha256Hex } from '../../crypto/digest.js';
import { readFileCapped, writeFileAtomic } from '../../io/files.js';
import { DEFAULT_CAPS } from '../../tuf/caps.js';
import type { Step } from './step.js';
import { verifiedOutputs } from './verify-outputs.js';
import { inState, statePathOf } from '../state-where.js';

const CAP = DEFAULT_CAPS.targets;

async function readIfPresent(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFileCapped(path, CAP);
  } catch (err) {
    if (isCeremonyError(err, 'FILE_NOT_FOUND')) return undefined;
    throw err;
  }
}

export const writeOutputs: Step = {
  name: 'write-outputs',
  title: 'write the metadata files',
  applies: () => true,
  async run(ctx) {
    // Verified again here: this step may run in a later process than verify-outputs.
    const files = await verifiedOutputs(ctx);
    const written: { name: string; sha256: string }[] = [];
    for (const f of files) {
      const path = join(ctx.layout.metadata, f.name);
      const sha = sha256Hex(f.bytes);
      const recorded = ctx.state.outputs[f.name];
      const present = await readIfPresent(path);
      if (recorded !== undefined) {
        if (recorded !== sha) throw new CeremonyError('CEREMONY_STATE_INVALID', `the state records other bytes for ${f.name} than the ceremony builds`, { path: inState(statePathOf(ctx), `$.outputs.${f.name}`) });
        if (!present || sha256Hex(present) !== recorded) throw new CeremonyError('CEREMONY_OUTPUT_CHANGED', `${f.name} was written before the interruption but is now ${present ? 'different' : 'gone'}`, { path });
      } else if (present) {
        if (!bytesEqual(present, f.bytes)) throw new CeremonyError('OUTPUT_EXISTS', `${f.name} already exists with other bytes; refusing to overwrite it`, { path });
      } else {
        await writeFileAtomic(path, f.bytes);
        const back = await readFileCapped(path, CAP);
        if (!bytesEqual(back, f.bytes)) throw new CeremonyError('CEREMONY_OUTPUT_CHANGED', `${f.name} does not read back as written`, { path });
      }
      ctx.state.outputs[f.name] = sha;
      await ctx.save();
      await ctx.fault(`written:${f.name}`);
      written.push({ name: f.name, sha256: sha });
    }
    ctx.report(`  wrote ${written.map((w) => w.name).join(', ')}`);
    return { note: `wrote ${written.map((w) => w.name).join(', ')}; each read back and compared`, outputs: written };
  },
};
