/**
 * `tuf-ceremony tree DIR_OR_BUNDLE --root PINNED [--targets-dir FILES] --out DIR [--json]`: the hostable
 * tree of a TUF repository (src/repository-tree/layout.ts) — verified completely against the pinned root
 * first (nothing is written after a refusal), written as a new folder in one rename, then read back and
 * verified again as a client would read it from the host (metadata and every target file).
 *
 * Target files come from `--targets-dir` (paths below it are target names: `--targets-dir files` with
 * `files/trusted_root.json` gives the target `trusted_root.json`), else from the input when it is itself a
 * tree. Targets whose bytes are not given are listed in `missingTargets` (their metadata is in the tree).
 *
 * `--json` prints (exit 0):
 *
 * ```json
 * { "ok": true, "out": "/abs/DIR", "consistentSnapshot": true, "rootVersions": [1, 2],
 *   "files": ["1.root.json", "2.root.json", "3.snapshot.json", "2.targets.json", "targets/<sha256>.app.tgz", "timestamp.json"],
 *   "targets": [{ "name": "app.tgz", "role": "targets", "length": 12, "sha256": "…", "paths": ["targets/<sha256>.app.tgz"] }],
 *   "missingTargets": [] }
 * ```
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { CeremonyError } from '../errors.js';
import { isDirectory, readFileCapped, readRepositoryDir } from '../io/files.js';
import { checkTreeTargets, readTargetFiles, writeTree } from '../io/repository-tree.js';
import { buildTreeLayout, type TreeLayout } from '../repository-tree/layout.js';
import { DEFAULT_CAPS } from '../tuf/caps.js';
import { verifyRepository, type RepositoryFiles } from '../tuf/repository.js';
import { readRepositoryInput } from './repository-input.js';
import { reportError, type Io } from './output.js';

export interface WriteTreeInput {
  files: RepositoryFiles;
  trustedRoot: Uint8Array;
  targetFiles?: ReadonlyMap<string, Uint8Array>;
  out: string;
  now: Date;
}

export interface WrittenTree extends TreeLayout {
  out: string;
  rootVersions: number[];
}

/**
 * Verify `files` from the pin (complete: timestamp, snapshot, targets), write the tree to the new folder
 * `out`, read it back as a directory and verify it again, target files included. Shared by `tree`,
 * `refresh` and the TUF rehearsal.
 */
export async function writeVerifiedTree(input: WriteTreeInput): Promise<WrittenTree> {
  const repo = verifyRepository(input.files, { trustedRoot: input.trustedRoot, now: input.now, requireComplete: true });
  const layout = buildTreeLayout(repo, input.files, input.targetFiles);
  await writeTree(input.out, layout.entries);
  // Read back as a client's host would serve it: the same chain, roles and target files.
  const back = verifyRepository(await readRepositoryDir(input.out), { trustedRoot: input.trustedRoot, now: input.now, requireComplete: true });
  if (back.root.signed.version !== repo.root.signed.version || back.timestamp?.md.signed.version !== repo.timestamp?.md.signed.version) {
    throw new CeremonyError('BUNDLE_WRITE_VERIFY_FAILED', `the tree read back from ${input.out} is not the repository written; do not publish it`, { path: input.out });
  }
  const targets = await checkTreeTargets(input.out, back);
  if (targets.absent.length !== layout.missingTargets.length) {
    throw new CeremonyError('BUNDLE_WRITE_VERIFY_FAILED', `target files read back from ${input.out} are missing; do not publish it`, { path: input.out });
  }
  const rootVersions: number[] = [];
  for (let v = repo.trustedRoot.signed.version; v <= repo.root.signed.version; v++) rootVersions.push(v);
  return { ...layout, out: input.out, rootVersions };
}

export interface TreeCommandOptions {
  root: string;
  out: string;
  targetsDir?: string;
  json?: boolean;
  now?: Date;
}

export async function treeCommand(input: string, opts: TreeCommandOptions, io: Io): Promise<number> {
  const json = Boolean(opts.json);
  try {
    const trustedRoot = await readFileCapped(opts.root, DEFAULT_CAPS.root);
    const source = await readRepositoryInput(input);
    const now = opts.now ?? new Date();
    let targetFiles: ReadonlyMap<string, Uint8Array> | undefined;
    if (opts.targetsDir !== undefined) targetFiles = await readTargetFiles(opts.targetsDir, DEFAULT_CAPS.targets);
    else if (await isDirectory(input)) {
      // The input is a tree: carry its target files, each checked against the verified metadata.
      const repo = verifyRepository(source.files, { trustedRoot, now, requireComplete: true });
      targetFiles = (await checkTreeTargets(input, repo)).bytes;
    }
    const written = await writeVerifiedTree({ files: source.files, trustedRoot, out: resolve(opts.out), now, ...(targetFiles ? { targetFiles } : {}) });
    if (json) {
      io.out(
        JSON.stringify(
          {
            ok: true,
            out: written.out,
            consistentSnapshot: written.consistentSnapshot,
            rootVersions: written.rootVersions,
            files: written.entries.map((e) => e.name),
            targets: written.targets,
            missingTargets: written.missingTargets,
          },
          null,
          2,
        ),
      );
    } else {
      io.out(`wrote ${written.out}: a hostable TUF tree (consistent_snapshot ${written.consistentSnapshot}), root versions ${written.rootVersions.join(', ')}`);
      for (const e of written.entries) io.out(`  ${e.name}  ${e.bytes.length} bytes`);
      if (written.missingTargets.length) io.out(`  target files not given (metadata only): ${written.missingTargets.join(', ')}`);
      io.out('  read back and verified; copy it to the static host (new files first, timestamp.json last; keep older versions for clients mid-update)');
    }
    return 0;
  } catch (err) {
    return reportError(io, err, json);
  }
}

export function registerTreeCommand(program: Command, io: Io, done: (status: number) => void): void {
  program
    .command('tree')
    .description('write the hostable tree of a TUF repository (N.root.json, timestamp.json, versioned snapshot/targets, targets/HASH.NAME), verified first')
    .argument('<DIR_OR_BUNDLE>', 'a TUF metadata directory, a hostable tree, or a trust bundle')
    .requiredOption('--root <PINNED>', 'the root.json you trust (pinned); the tree starts at its version')
    .option('--targets-dir <FILES>', 'a folder of target files, named by their target path below it')
    .requiredOption('--out <DIR>', 'the new folder to write (never overwritten)')
    .option('--json', 'machine-readable result (documented in src/cli/tree.ts)')
    .action(async (path: string, opts: TreeCommandOptions) => done(await treeCommand(path, opts, io)));
}
