/* dashi info: build, libraries, ranks and the devices every rank sees. */
#include <fftw3.h>
#include <hdf5.h>
#include <petscsys.h>
#include <stdio.h>
#include <unistd.h>

#include "app.h"
#include "dashi/log.h"
#ifdef DASHI_WITH_VULKAN
#include "dashi/vulkan.h"
#define VULKAN_BACKEND ", vulkan (VkFFT + SPIR-V shaders)"
#else
#define VULKAN_BACKEND " (built without the Vulkan backend)"
#endif

int dashi_cmd_info(MPI_Comm world, dashi_options *o) {
  int rank, size, len;
  MPI_Comm_rank(world, &rank);
  MPI_Comm_size(world, &size);
  char mpi[MPI_MAX_LIBRARY_VERSION_STRING], petsc[256], host[256];
  MPI_Get_library_version(mpi, &len);
  PetscGetVersion(petsc, sizeof petsc);
  unsigned a, b, c;
  H5get_libversion(&a, &b, &c);
  gethostname(host, sizeof host);
  dashi_log(world,
            "dashi %s (git %s)\n  solvers:  spectral_les_v1\n  backends: cpu (FFTW-MPI)%s\n"
            "  FFTW:     %s\n  HDF5:     %u.%u.%u (parallel)\n  PETSc:    %s\n  MPI:      %.80s\n"
            "  ranks:    %d\n",
            DASHI_VERSION, DASHI_GIT_REV, VULKAN_BACKEND, fftw_version, a, b, c, petsc, mpi, size);
  for (int r = 0; r < size; r++) {
    if (r == rank) {
      char vk[2048] = "";
#ifdef DASHI_WITH_VULKAN
      char list[2000];
      dashi_vulkan_list_devices(list, sizeof list); /* "none (reason)" when there is none */
      snprintf(vk, sizeof vk, "; vulkan: %s", list);
#endif
      printf("  rank %d: host %s, devices: cpu%s\n", rank, host, vk);
      fflush(stdout);
    }
    MPI_Barrier(world);
  }
  return 0;
}
