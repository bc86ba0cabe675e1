/**
 * Finding and opening the MPI library: the environment variable `NEWBOB_MPI_LIBRARY` wins, then
 * the config key `mpi_library`, then the usual names of MPICH-ABI libraries. Open MPI is
 * recognised by its version string and refused with a clear message (its handles are symbol
 * addresses; newbob speaks MPICH's ABI).
 *
 * @module
 */

import { MPICH_SYMBOLS, VERSION_SYMBOLS } from "./_mpich_abi.ts";
import { DistributedError } from "./errors.ts";

/** The environment variable that overrides the MPI library path. */
export const MPI_LIBRARY_ENV = "NEWBOB_MPI_LIBRARY";

/** The opened MPICH-ABI library. */
export type MpichLibrary = Deno.DynamicLibrary<typeof MPICH_SYMBOLS>;

/** A library opened by {@linkcode openMpiLibrary}. */
export interface OpenedMpiLibrary {
  /** The FFI handle with newbob's symbols. */
  readonly lib: MpichLibrary;
  /** The path or name it was opened by. */
  readonly path: string;
  /** Where the path came from. */
  readonly source: "env" | "config" | "search";
  /** First line of `MPI_Get_library_version`, e.g. `MPICH Version: 4.0.2`. */
  readonly version: string;
}

/** Options of {@linkcode openMpiLibrary}. */
export interface OpenMpiLibraryOptions {
  /** The config's `mpi_library`. */
  library?: string;
  /** The value of `NEWBOB_MPI_LIBRARY`, if set. */
  envLibrary?: string;
  /** Operating system (`Deno.build.os`). @default {Deno.build.os} */
  os?: string;
  /** `Deno.dlopen` (tests inject fakes). @default {Deno.dlopen} */
  dlopen?: typeof Deno.dlopen;
}

/**
 * Library names tried when no path is given, per operating system: MPICH's soname, then the
 * soname Intel MPI, MVAPICH and Cray MPICH share (`libmpi.so.12`).
 *
 * @param os `Deno.build.os`.
 * @returns Names or paths for `dlopen`.
 *
 * @example Usage
 * ```ts
 * import { mpiLibraryCandidates } from "./find_library.ts";
 * import { equal } from "node:assert/strict";
 * equal(mpiLibraryCandidates("linux")[0], "libmpich.so.12");
 * ```
 */
export function mpiLibraryCandidates(os: string): string[] {
  if (os === "darwin") {
    return [
      "libmpich.12.dylib",
      "/opt/homebrew/lib/libmpich.12.dylib",
      "/usr/local/lib/libmpich.12.dylib",
    ];
  }
  return [
    "libmpich.so.12",
    "libmpi.so.12",
    "/usr/lib/x86_64-linux-gnu/libmpich.so.12",
    "/usr/lib/aarch64-linux-gnu/libmpich.so.12",
    "/usr/lib64/mpich/lib/libmpich.so.12",
  ];
}

const OPEN_MPI_NAMES = ["libmpi.so.40", "libmpi.40.dylib"];

/**
 * Open the MPI library and check that it speaks MPICH's ABI.
 *
 * @param options The config's path, the environment's path, the OS, a `dlopen` stand-in.
 * @returns The opened library, its path and version.
 * @throws {DistributedError} when no library is found (naming the package to install), when
 *   the given path cannot be opened, for Open MPI, or when a symbol is missing.
 *
 * @example A missing library names the package to install
 * ```ts
 * import { openMpiLibrary, type OpenMpiLibraryOptions } from "./find_library.ts";
 * import { throws } from "node:assert/strict";
 * const options: OpenMpiLibraryOptions = {
 *   os: "linux",
 *   dlopen: () => { throw new Error("not found"); },
 * };
 * throws(() => openMpiLibrary(options), /apt-get install mpich/);
 * ```
 */
export function openMpiLibrary(options: OpenMpiLibraryOptions = {}): OpenedMpiLibrary {
  const dlopen = options.dlopen ?? Deno.dlopen;
  const os = options.os ?? Deno.build.os;
  const explicit = options.envLibrary !== undefined && options.envLibrary !== ""
    ? { path: options.envLibrary, source: "env" as const }
    : options.library !== undefined
    ? { path: options.library, source: "config" as const }
    : undefined;
  const tried: string[] = [];
  const paths = explicit ? [explicit.path] : mpiLibraryCandidates(os);
  for (const path of paths) {
    let probe: Deno.DynamicLibrary<typeof VERSION_SYMBOLS>;
    try {
      probe = dlopen(path, VERSION_SYMBOLS);
    } catch (e) {
      if (e instanceof Deno.errors.NotCapable || (e as Error).name === "NotCapable") {
        throw new DistributedError(
          "Cannot load the MPI library as FFI is not allowed: run with --allow-ffi (MPI is " +
            "called through Deno.dlopen)",
        );
      }
      const why = _firstLine((e as Error).message).replace(/^(Could not open library: )+/, "");
      tried.push(`${path} (${why})`);
      continue;
    }
    const version = _version(probe);
    probe.close();
    if (/open mpi/i.test(version)) throw _openMpiError(path, version);
    let lib: MpichLibrary;
    try {
      lib = dlopen(path, MPICH_SYMBOLS);
    } catch (e) {
      throw new DistributedError(
        `Cannot use the MPI library ${path} (${version}) as it lacks a function newbob calls: ` +
          `${_firstLine((e as Error).message)}. newbob needs an MPI-3 library with MPICH's ABI ` +
          "(MPICH >= 3.1, Intel MPI, MVAPICH, Cray MPICH)",
      );
    }
    return { lib, path, source: explicit?.source ?? "search", version };
  }
  if (explicit) {
    const how = explicit.source === "env" ? `NEWBOB_MPI_LIBRARY=${explicit.path}` : "mpi_library";
    throw new DistributedError(
      `Cannot load the MPI library ${explicit.path} (set by ${how}): ${tried.join("; ")}. Point ` +
        "it at MPICH's shared library (e.g. /usr/lib/x86_64-linux-gnu/libmpich.so.12), or unset " +
        "it to search the usual places",
    );
  }
  for (const name of OPEN_MPI_NAMES) {
    try {
      const probe = dlopen(name, VERSION_SYMBOLS);
      const version = _version(probe);
      probe.close();
      throw _openMpiError(name, version);
    } catch (e) {
      if (e instanceof DistributedError) throw e;
    }
  }
  throw new DistributedError(
    `Cannot find an MPI library (tried ${tried.join("; ")}): install MPICH (Debian/Ubuntu: ` +
      "apt-get install mpich; Fedora: dnf install mpich; macOS: brew install mpich) and start " +
      `the job with mpirun.mpich, or set ${MPI_LIBRARY_ENV} (or the config key mpi_library) to ` +
      "the path of libmpich.so.12",
  );
}

function _version(probe: Deno.DynamicLibrary<typeof VERSION_SYMBOLS>): string {
  const text = new Uint8Array(8192);
  const len = new Int32Array(1);
  const rc = probe.symbols.MPI_Get_library_version(text, len);
  if (rc !== 0) return "unknown MPI";
  const s = new TextDecoder().decode(text.subarray(0, Math.max(0, Math.min(len[0], 8192))));
  return _firstLine(s.replace(/\0.*$/s, "")).replace(/\s+/g, " ").trim() || "unknown MPI";
}

function _openMpiError(path: string, version: string): DistributedError {
  return new DistributedError(
    `Cannot use Open MPI (${version}, ${path}): newbob's MPI binding speaks MPICH's ABI, where ` +
      "handles are integers; Open MPI's handles are symbol addresses, which it does not support. " +
      "Install MPICH (apt-get install mpich) and start the job with mpirun.mpich, or set " +
      `${MPI_LIBRARY_ENV} to MPICH's libmpich.so.12`,
  );
}

function _firstLine(s: string): string {
  return s.split("\n")[0];
}
