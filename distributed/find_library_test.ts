import { equal, ok, throws } from "node:assert/strict";
import { mpiLibraryCandidates, openMpiLibrary } from "./find_library.ts";
import { DistributedError } from "./errors.ts";

/** A fake dlopen: `libs` maps a path to its version string; anything else is missing. */
function fakeDlopen(libs: Record<string, string>, opened: string[] = []): typeof Deno.dlopen {
  return ((path: string, symbols: Record<string, unknown>) => {
    if (!(path in libs)) throw new Error(`Could not open library: ${path}: no such file`);
    opened.push(`${path}:${Object.keys(symbols).length}`);
    const version = new TextEncoder().encode(libs[path] + "\0");
    return {
      symbols: {
        MPI_Get_library_version(buf: Uint8Array, len: Int32Array) {
          buf.set(version);
          len[0] = version.length;
          return 0;
        },
      },
      close() {},
    };
  }) as unknown as typeof Deno.dlopen;
}

Deno.test("find_library: NEWBOB_MPI_LIBRARY wins, then mpi_library, then the search", () => {
  const libs = {
    "/env/libmpich.so.12": "MPICH Version: 4.0.2\nMPICH Release date",
    "/cfg.so": "MPICH Version: 4.1",
    "libmpich.so.12": "MPICH Version: 4.0",
  };
  const a = openMpiLibrary({
    envLibrary: "/env/libmpich.so.12",
    library: "/cfg.so",
    dlopen: fakeDlopen(libs),
  });
  equal(a.path, "/env/libmpich.so.12");
  equal(a.source, "env");
  equal(a.version, "MPICH Version: 4.0.2");
  equal(openMpiLibrary({ library: "/cfg.so", dlopen: fakeDlopen(libs) }).source, "config");
  const c = openMpiLibrary({ os: "linux", dlopen: fakeDlopen(libs) });
  equal(c.path, "libmpich.so.12");
  equal(c.source, "search");
  equal(
    openMpiLibrary({
      os: "linux",
      dlopen: fakeDlopen({ "libmpi.so.12": "Intel(R) MPI Library 2021" }),
    }).path,
    "libmpi.so.12",
  );
});

Deno.test("find_library: a missing library says which package to install", () => {
  throws(
    () => openMpiLibrary({ os: "linux", dlopen: fakeDlopen({}) }),
    (e: Error) =>
      e instanceof DistributedError && e.message.includes("apt-get install mpich") &&
      e.message.includes("NEWBOB_MPI_LIBRARY") && e.message.includes("libmpich.so.12 ("),
  );
  throws(
    () =>
      openMpiLibrary({ envLibrary: "/nope.so", dlopen: fakeDlopen({ "libmpich.so.12": "MPICH" }) }),
    /Cannot load the MPI library \/nope.so \(set by NEWBOB_MPI_LIBRARY=\/nope.so\)/,
  );
  throws(
    () => openMpiLibrary({ library: "/nope.so", dlopen: fakeDlopen({}) }),
    /set by mpi_library/,
  );
  ok(mpiLibraryCandidates("darwin")[0].endsWith(".dylib"));
});

Deno.test("find_library: Open MPI is recognised and refused with the way out", () => {
  const msg = /Cannot use Open MPI \(Open MPI v4.1.4.*apt-get install mpich/;
  throws(
    () =>
      openMpiLibrary({
        library: "libmpi.so.40",
        dlopen: fakeDlopen({ "libmpi.so.40": "Open MPI v4.1.4, package: Debian" }),
      }),
    msg,
  );
  // Found only by the Open MPI probe after the MPICH names failed.
  throws(
    () =>
      openMpiLibrary({ os: "linux", dlopen: fakeDlopen({ "libmpi.so.40": "Open MPI v4.1.4" }) }),
    msg,
  );
});

Deno.test("find_library: without --allow-ffi the message names the flag", () => {
  const deny = (() => {
    throw new Deno.errors.NotCapable("Requires ffi access");
  }) as unknown as typeof Deno.dlopen;
  throws(() => openMpiLibrary({ os: "linux", dlopen: deny }), /--allow-ffi/);
});
