/* MPICH's own all-reduce bandwidth, the reference of bench/allreduce.ts (compiled with mpicc at
 * bench time): in-place MPI_SUM of N floats, `warmup` untimed calls, then `reps` timed calls
 * between barriers. Rank 0 prints one JSON line. Usage: allreduce_c N REPS WARMUP */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  long n = argc > 1 ? atol(argv[1]) : 4194304;
  int reps = argc > 2 ? atoi(argv[2]) : 30;
  int warmup = argc > 3 ? atoi(argv[3]) : 5;
  float *a = malloc(sizeof(float) * (n > 0 ? n : 1));
  for (long i = 0; i < n; i++) a[i] = 1.0f;
  for (int i = 0; i < warmup; i++) MPI_Allreduce(MPI_IN_PLACE, a, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  MPI_Barrier(MPI_COMM_WORLD);
  double t = MPI_Wtime();
  for (int i = 0; i < reps; i++) MPI_Allreduce(MPI_IN_PLACE, a, (int)n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  t = (MPI_Wtime() - t) / reps;
  if (rank == 0) printf("{\"seconds\":%.9f}\n", t);
  free(a);
  MPI_Finalize();
  return 0;
}
