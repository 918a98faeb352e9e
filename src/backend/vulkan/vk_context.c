/* Vulkan instance, device choice (node-local rank modulo device count, or -vk_device), memory,
 * and command recording: one command buffer per frame, a barrier before every command, one
 * submit and one fence per batch. */
#include <ctype.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashi/error.h"
#include "vk_internal.h"

const char *vk_result_name(VkResult r) {
  switch (r) {
#define C(x)                                                                                       \
  case x:                                                                                          \
    return #x;
    C(VK_SUCCESS)
    C(VK_NOT_READY)
    C(VK_TIMEOUT)
    C(VK_INCOMPLETE)
    C(VK_ERROR_OUT_OF_HOST_MEMORY)
    C(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    C(VK_ERROR_INITIALIZATION_FAILED)
    C(VK_ERROR_DEVICE_LOST)
    C(VK_ERROR_MEMORY_MAP_FAILED)
    C(VK_ERROR_LAYER_NOT_PRESENT)
    C(VK_ERROR_EXTENSION_NOT_PRESENT)
    C(VK_ERROR_FEATURE_NOT_PRESENT)
    C(VK_ERROR_INCOMPATIBLE_DRIVER)
    C(VK_ERROR_TOO_MANY_OBJECTS)
    C(VK_ERROR_FORMAT_NOT_SUPPORTED)
    C(VK_ERROR_INVALID_SHADER_NV)
#undef C
  default:
    return "VkResult (unknown)";
  }
}

int vk_fail(vk_ctx *c, const char *stage, VkResult r) {
  if (c->owner) c->owner->out_of_memory = false;
  return dashi_err(DASHI_ERR_DEVICE, "Vulkan backend, device %d '%s' (rank %d): %s failed: %s (%d)",
                   c->device_index, c->device_name[0] ? c->device_name : "?", c->g->rank, stage,
                   vk_result_name(r), (int)r);
}

#define VKC(c, stage, expr)                                                                        \
  do {                                                                                             \
    VkResult vkc_r_ = (expr);                                                                      \
    if (vkc_r_ != VK_SUCCESS) return vk_fail(c, stage, vkc_r_);                                    \
  } while (0)

static const char *driver_files(void) {
  const char *s = getenv("VK_DRIVER_FILES");
  if (!s) s = getenv("VK_ICD_FILENAMES");
  return s;
}

int vk_no_device(const char *opt, int rank, const char *why) {
  const char *df = driver_files();
  return dashi_err(DASHI_ERR_DEVICE,
                   "%s vulkan: no Vulkan device on rank %d (%s%s%s). dashi never falls back "
                   "to the CPU: install a Vulkan driver (e.g. mesa-vulkan-drivers or the GPU "
                   "vendor's), check VK_DRIVER_FILES, or run with %s cpu",
                   opt, rank, why, df ? "; VK_DRIVER_FILES=" : "", df ? df : "", opt);
}

static VkResult make_instance(VkInstance *inst) {
  VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                           .pApplicationName = "dashi",
                           .apiVersion = VK_API_VERSION_1_2};
  VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                             .pApplicationInfo = &app};
  return vkCreateInstance(&ci, NULL, inst);
}

static const char *type_name(VkPhysicalDeviceType t) {
  switch (t) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    return "discrete GPU";
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    return "integrated GPU";
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
    return "virtual GPU";
  case VK_PHYSICAL_DEVICE_TYPE_CPU:
    return "CPU";
  default:
    return "other";
  }
}

int dashi_vulkan_list_devices(char *buf, size_t n) {
  VkInstance inst;
  buf[0] = 0;
  VkResult r = make_instance(&inst);
  if (r != VK_SUCCESS) {
    snprintf(buf, n, "none (vkCreateInstance: %s)", vk_result_name(r));
    return DASHI_ERR_DEVICE;
  }
  uint32_t cnt = 0;
  vkEnumeratePhysicalDevices(inst, &cnt, NULL);
  VkPhysicalDevice *pd = calloc(cnt ? cnt : 1, sizeof *pd);
  vkEnumeratePhysicalDevices(inst, &cnt, pd);
  if (!cnt) snprintf(buf, n, "none (no Vulkan physical device)");
  for (uint32_t i = 0; i < cnt; i++) {
    VkPhysicalDeviceProperties p;
    VkPhysicalDeviceFeatures f;
    vkGetPhysicalDeviceProperties(pd[i], &p);
    vkGetPhysicalDeviceFeatures(pd[i], &f);
    size_t len = strlen(buf);
    snprintf(buf + len, n - len, "%s[%u] %s (%s, Vulkan %u.%u, fp64 %s)", i ? "; " : "", i,
             p.deviceName, type_name(p.deviceType), VK_API_VERSION_MAJOR(p.apiVersion),
             VK_API_VERSION_MINOR(p.apiVersion), f.shaderFloat64 ? "yes" : "no");
  }
  free(pd);
  vkDestroyInstance(inst, NULL);
  return cnt ? 0 : DASHI_ERR_DEVICE;
}

int vk_open_instance(const char *opt, int rank, VkInstance *inst) {
  VkResult r = make_instance(inst);
  if (r == VK_SUCCESS) return 0;
  *inst = VK_NULL_HANDLE;
  char why[128];
  snprintf(why, sizeof why, "vkCreateInstance: %s", vk_result_name(r));
  return vk_no_device(opt, rank, why);
}

int vk_node_local_rank(MPI_Comm comm, int *lr) {
  MPI_Comm node;
  DASHI_MPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
  MPI_Comm_rank(node, lr);
  MPI_Comm_free(&node);
  return 0;
}

int vk_pick(VkInstance inst, const char *opt, int rank, int vk_device, int local_rank,
            VkPhysicalDevice *phys, int *index, int *count) {
  uint32_t cnt = 0;
  vkEnumeratePhysicalDevices(inst, &cnt, NULL);
  *count = (int)cnt;
  if (!cnt) return vk_no_device(opt, rank, "vkEnumeratePhysicalDevices found none");
  if (vk_device >= (int)cnt)
    return dashi_err(DASHI_ERR_DEVICE,
                     "%s vulkan: -vk_device %d: rank %d sees only %u Vulkan device(s) (0..%u; "
                     "'dashi info' lists them)",
                     opt, vk_device, rank, cnt, cnt - 1);
  VkPhysicalDevice *pd = calloc(cnt, sizeof *pd);
  vkEnumeratePhysicalDevices(inst, &cnt, pd);
  int gpus[64], ng = 0;
  for (uint32_t i = 0; i < cnt && ng < 64; i++) {
    VkPhysicalDeviceProperties p;
    vkGetPhysicalDeviceProperties(pd[i], &p);
    if (p.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU) gpus[ng++] = (int)i;
  }
  *index = vk_device >= 0 ? vk_device : ng ? gpus[local_rank % ng] : local_rank % (int)cnt;
  *phys = pd[*index];
  free(pd);
  return 0;
}

static int pick_device(vk_ctx *c, const dashi_backend_config *cfg) {
  const char *opt = cfg->opt ? cfg->opt : "-backend";
  MPI_Comm place = cfg->place ? *cfg->place : c->g->comm;
  int lr, rank;
  MPI_Comm_rank(place, &rank);
  DASHI_CALL(vk_node_local_rank(place, &lr));
  DASHI_CALL(vk_open_instance(opt, rank, &c->inst));
  DASHI_CALL(vk_pick(c->inst, opt, rank, cfg->vk_device, lr, &c->phys, &c->device_index,
                     &c->device_count));
  vkGetPhysicalDeviceProperties(c->phys, &c->props);
  vkGetPhysicalDeviceMemoryProperties(c->phys, &c->memprops);
  snprintf(c->device_name, sizeof c->device_name, "%s", c->props.deviceName);
  return 0;
}

static int check_features(vk_ctx *c, VkPhysicalDeviceFeatures *f10, bool *int64) {
  VkPhysicalDeviceVulkan12Features f12 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                  .pNext = &f12};
  if (c->props.apiVersion < VK_API_VERSION_1_2)
    return dashi_err(DASHI_ERR_DEVICE,
                     "Vulkan device %d '%s' supports Vulkan %u.%u; dashi needs 1.2",
                     c->device_index, c->device_name, VK_API_VERSION_MAJOR(c->props.apiVersion),
                     VK_API_VERSION_MINOR(c->props.apiVersion));
  vkGetPhysicalDeviceFeatures2(c->phys, &f2);
  *f10 = f2.features;
  *int64 = f2.features.shaderInt64;
  if (!f12.bufferDeviceAddress)
    return dashi_err(DASHI_ERR_DEVICE,
                     "Vulkan device %d '%s' lacks bufferDeviceAddress (Vulkan 1.2)",
                     c->device_index, c->device_name);
  c->acc64 = f2.features.shaderFloat64;
  if (c->f64 && !c->acc64)
    return dashi_err(DASHI_ERR_DEVICE,
                     "Vulkan device %d '%s' has no shaderFloat64: -precision double cannot run on "
                     "it (use -precision single, or another device with -vk_device)",
                     c->device_index, c->device_name);
  return 0;
}

/* DASHI_VK_PROFILE set and not 0 */
static bool profile_wanted(void) {
  const char *e = getenv("DASHI_VK_PROFILE");
  return e && strcmp(e, "0");
}

static bool has_device_extension(vk_ctx *c, const char *name) {
  uint32_t n = 0;
  vkEnumerateDeviceExtensionProperties(c->phys, NULL, &n, NULL);
  VkExtensionProperties *e = calloc(n ? n : 1, sizeof *e);
  bool found = false;
  if (e && vkEnumerateDeviceExtensionProperties(c->phys, NULL, &n, e) == VK_SUCCESS)
    for (uint32_t i = 0; i < n && !found; i++) found = !strcmp(e[i].extensionName, name);
  free(e);
  return found;
}

static int make_device(vk_ctx *c) {
  VkPhysicalDeviceFeatures f10 = {0};
  bool int64 = false;
  DASHI_CALL(check_features(c, &f10, &int64));
  uint32_t nq = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(c->phys, &nq, NULL);
  VkQueueFamilyProperties *qp = calloc(nq ? nq : 1, sizeof *qp);
  vkGetPhysicalDeviceQueueFamilyProperties(c->phys, &nq, qp);
  c->qfam = UINT32_MAX;
  for (uint32_t i = 0; i < nq && c->qfam == UINT32_MAX; i++)
    if (qp[i].queueFlags & VK_QUEUE_COMPUTE_BIT) c->qfam = i;
  free(qp);
  if (c->qfam == UINT32_MAX)
    return dashi_err(DASHI_ERR_DEVICE, "Vulkan device %d '%s' has no compute queue",
                     c->device_index, c->device_name);
  float prio = 1.0f;
  VkDeviceQueueCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                .queueFamilyIndex = c->qfam,
                                .queueCount = 1,
                                .pQueuePriorities = &prio};
  /* DASHI_VK_PROFILE: also the compiler's statistics of the row kernels (registers), where the
   * driver has VK_KHR_pipeline_executable_properties */
  const char *exts[2];
  uint32_t next = 0;
  c->exec_stats =
      profile_wanted() && has_device_extension(c, "VK_KHR_pipeline_executable_properties");
  if (c->exec_stats) exts[next++] = "VK_KHR_pipeline_executable_properties";
  /* several ranks on one node: transposes through imported shared host memory (vk_fft.c) */
  c->host_import = has_device_extension(c, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
  if (c->host_import) exts[next++] = VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME;
  VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR fx = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PIPELINE_EXECUTABLE_PROPERTIES_FEATURES_KHR,
      .pipelineExecutableInfo = VK_TRUE};
  VkPhysicalDeviceVulkan12Features f12 = {.sType =
                                              VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
                                          .pNext = c->exec_stats ? &fx : NULL,
                                          .bufferDeviceAddress = VK_TRUE};
  VkPhysicalDeviceFeatures2 f2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                  .pNext = &f12};
  f2.features.shaderFloat64 = c->acc64;
  f2.features.shaderInt64 = int64;
  VkDeviceCreateInfo di = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                           .pNext = &f2,
                           .queueCreateInfoCount = 1,
                           .pQueueCreateInfos = &qi,
                           .enabledExtensionCount = next,
                           .ppEnabledExtensionNames = exts};
  VKC(c, "vkCreateDevice", vkCreateDevice(c->phys, &di, NULL, &c->dev));
  vkGetDeviceQueue(c->dev, c->qfam, 0, &c->queue);
  (void)f10;
  VkPhysicalDeviceExternalMemoryHostPropertiesEXT hp = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT};
  VkPhysicalDeviceMaintenance3Properties m3 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES,
      .pNext = c->host_import ? &hp : NULL};
  VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                    .pNext = &m3};
  vkGetPhysicalDeviceProperties2(c->phys, &p2);
  c->max_range = c->props.limits.maxStorageBufferRange;
  c->import_align = hp.minImportedHostPointerAlignment;
  if (m3.maxMemoryAllocationSize && m3.maxMemoryAllocationSize < c->max_range)
    c->max_range = m3.maxMemoryAllocationSize;
  c->max_alloc = m3.maxMemoryAllocationSize ? m3.maxMemoryAllocationSize : c->max_range;
  return 0;
}

static int find_memory(vk_ctx *c, uint32_t bits, bool host, uint32_t *type) {
  VkMemoryPropertyFlags want =
      host ? VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT
           : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  int best = -1;
  for (uint32_t i = 0; i < c->memprops.memoryTypeCount; i++) {
    VkMemoryPropertyFlags f = c->memprops.memoryTypes[i].propertyFlags;
    if (!(bits >> i & 1) || (f & want) != want) continue;
    /* host buffers: prefer cached memory (read back by the CPU) */
    if (best < 0 || (host && (f & VK_MEMORY_PROPERTY_HOST_CACHED_BIT))) best = (int)i;
    if (!host) break;
  }
  if (best < 0)
    return dashi_err(DASHI_ERR_DEVICE, "Vulkan device %d '%s': no %s memory type", c->device_index,
                     c->device_name, host ? "host-visible coherent" : "device-local");
  *type = (uint32_t)best;
  return 0;
}

VkDeviceSize vk_device_heap(const vk_ctx *c) {
  /* the heap of the device-local memory type the buffers take (find_memory: the first one) */
  for (uint32_t i = 0; i < c->memprops.memoryTypeCount; i++)
    if (c->memprops.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT)
      return c->memprops.memoryHeaps[c->memprops.memoryTypes[i].heapIndex].size;
  return 0;
}

/* "36.00 GiB" / "1.50 MiB" / "0.00 MiB" / "0.38 KiB" (below 1 MiB: VkFFT's tables at small N) */
static const char *gib_mib(char *s, size_t n, VkDeviceSize bytes) {
  bool gib = bytes >= ((VkDeviceSize)1 << 30), kib = bytes && bytes < ((VkDeviceSize)1 << 20);
  snprintf(s, n, "%.2f %s",
           (double)bytes / (gib   ? 1073741824.0
                            : kib ? 1024.0
                                  : 1048576.0),
           gib   ? "GiB"
           : kib ? "KiB"
                 : "MiB");
  return s;
}

int vk_out_of_memory(vk_ctx *c, const char *stage, VkDeviceSize need) {
  if (c->owner) c->owner->out_of_memory = true;
  char cap[96] = "", more[64] = "", s[3][32], fix[320];
  if (c->mem_cap)
    snprintf(cap, sizeof cap, ", of which DASHI_VK_MEMORY_BYTES allows %s",
             gib_mib(s[0], sizeof s[0], c->mem_cap));
  if (need)
    snprintf(more, sizeof more, "%s more were needed where ", gib_mib(s[1], sizeof s[1], need));
  if (c->opt && !strcmp(c->opt, "-proxy_backend"))
    snprintf(fix, sizeof fix,
             "the proxy's rollouts and decodes: use fewer -members or a smaller -decode_N, or "
             "-proxy_backend cpu");
  else
    snprintf(fix, sizeof fix,
             "N=%d, %s, %d LES rank(s). Run on more GPUs (one rank per GPU: a rank holds N/ranks "
             "rows)%s, or at a smaller N; docs/vulkan.md lists the memory each N takes",
             c->g->N, c->f64 ? "double" : "single", c->g->size,
             c->f64 ? ", with -precision single" : "");
  return dashi_err(DASHI_ERR_DEVICE,
                   "Vulkan device %d '%s' (rank %d): out of device memory %s: %sdashi's buffers "
                   "held %s of the device's %.2f GiB%s (other processes on the GPU take from the "
                   "same memory); %s",
                   c->device_index, c->device_name[0] ? c->device_name : "?", c->g->rank, stage,
                   more, gib_mib(s[2], sizeof s[2], c->held), vk_device_heap(c) / 1073741824.0, cap,
                   fix);
}

/* test only: DASHI_VK_MEMORY_BYTES makes a smaller device, past which an allocation of device
 * memory fails as a full device's would (fill_buffer, and VkFFT's own in vk_fft.c) */
bool vk_over_cap(const vk_ctx *c, VkDeviceSize bytes) {
  return c->mem_cap && c->held + bytes > c->mem_cap;
}

/* bytes more of device memory held, and the most held at once */
void vk_hold(vk_ctx *c, VkDeviceSize bytes) {
  c->held += bytes;
  if (c->held > c->held_peak) c->held_peak = c->held;
}

/* a buffer with a device address: device-local or host-visible (mapped) memory of its own, or
 * (import != NULL) the host memory at `import`, whose usable memory types are import_bits */
static int fill_buffer(vk_ctx *c, VkDeviceSize size, bool host, void *import, uint32_t import_bits,
                       vk_buffer *b, const char *stage) {
  VkExternalMemoryHandleTypeFlagBits ht = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;
  VkExternalMemoryBufferCreateInfo eb = {
      .sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO, .handleTypes = ht};
  VkBufferCreateInfo bi = {
      .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
      .pNext = import ? &eb : NULL,
      .size = size,
      .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT,
      .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
  VKC(c, stage, vkCreateBuffer(c->dev, &bi, NULL, &b->buf));
  VkMemoryRequirements mr;
  vkGetBufferMemoryRequirements(c->dev, b->buf, &mr);
  uint32_t type = 0;
  DASHI_CALL(find_memory(c, mr.memoryTypeBits & (import ? import_bits : ~0u), host, &type));
  VkImportMemoryHostPointerInfoEXT im = {.sType =
                                             VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT,
                                         .handleType = ht,
                                         .pHostPointer = import};
  VkMemoryAllocateFlagsInfo fl = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO,
                                  .pNext = import ? &im : NULL,
                                  .flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT};
  VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                             .pNext = &fl,
                             .allocationSize = import ? size : mr.size,
                             .memoryTypeIndex = type};
  VkResult ar = !host && vk_over_cap(c, mr.size) ? VK_ERROR_OUT_OF_DEVICE_MEMORY
                                                 : vkAllocateMemory(c->dev, &ai, NULL, &b->mem);
  if (ar == VK_ERROR_OUT_OF_DEVICE_MEMORY && !host) return vk_out_of_memory(c, stage, mr.size);
  VKC(c, stage, ar);
  if (!host) b->held = mr.size, vk_hold(c, mr.size);
  VKC(c, stage, vkBindBufferMemory(c->dev, b->buf, b->mem, 0));
  VkBufferDeviceAddressInfo da = {.sType = VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO,
                                  .buffer = b->buf};
  b->addr = vkGetBufferDeviceAddress(c->dev, &da);
  if (host && !import) VKC(c, stage, vkMapMemory(c->dev, b->mem, 0, VK_WHOLE_SIZE, 0, &b->map));
  return 0;
}

/* fill_buffer, and nothing left behind where it fails (no buffer, memory or count) */
static int make_buffer(vk_ctx *c, VkDeviceSize size, bool host, void *import, uint32_t import_bits,
                       vk_buffer *b, const char *stage) {
  memset(b, 0, sizeof *b);
  b->size = size;
  int rc = fill_buffer(c, size, host, import, import_bits, b, stage);
  if (rc) vk_buffer_destroy(c, b);
  return rc;
}

int vk_env_bytes(const char *name, uint64_t least, uint64_t mult, const char *expect, uint64_t *v) {
  const char *s = getenv(name);
  *v = 0;
  if (!s || !*s) return 0;
  char *end;
  unsigned long long x = strtoull(s, &end, 10);
  if (*end || !isdigit((unsigned char)s[0]) || x < least || x % mult)
    return dashi_err(DASHI_ERR_USAGE, "%s=%s: expected %s", name, s, expect);
  *v = x;
  return 0;
}

int vk_buffer_create(vk_ctx *c, VkDeviceSize size, bool host, vk_buffer *b, const char *what) {
  char stage[160];
  snprintf(stage, sizeof stage, "creating the %s buffer (%.1f MiB)", what, size / 1048576.0);
  return make_buffer(c, size, host, NULL, 0, b, stage);
}

int vk_buffer_import(vk_ctx *c, void *ptr, VkDeviceSize size, vk_buffer *b, const char *what) {
  char stage[200];
  snprintf(stage, sizeof stage, "importing %.1f MiB of host memory as the %s buffer",
           size / 1048576.0, what);
  PFN_vkGetMemoryHostPointerPropertiesEXT props =
      (PFN_vkGetMemoryHostPointerPropertiesEXT)vkGetDeviceProcAddr(
          c->dev, "vkGetMemoryHostPointerPropertiesEXT");
  if (!c->host_import || !props)
    return dashi_err(DASHI_ERR_DEVICE, "Vulkan device %d '%s': %s: the device lacks %s",
                     c->device_index, c->device_name, stage,
                     VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
  VkMemoryHostPointerPropertiesEXT hp = {.sType =
                                             VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT};
  VKC(c, stage, props(c->dev, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT, ptr, &hp));
  return make_buffer(c, size, true, ptr, hp.memoryTypeBits, b, stage);
}

void vk_buffer_destroy(vk_ctx *c, vk_buffer *b) {
  if (!c->dev) return;
  if (b->map) vkUnmapMemory(c->dev, b->mem);
  if (b->buf) vkDestroyBuffer(c->dev, b->buf, NULL);
  if (b->mem) vkFreeMemory(c->dev, b->mem, NULL);
  c->held -= b->held;
  memset(b, 0, sizeof *b);
}

static int make_frames(vk_ctx *c) {
  VkCommandPoolCreateInfo pi = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                .queueFamilyIndex = c->qfam};
  VKC(c, "vkCreateCommandPool", vkCreateCommandPool(c->dev, &pi, NULL, &c->pool));
  VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VKC(c, "vkCreateFence", vkCreateFence(c->dev, &fi, NULL, &c->plan_fence));
  for (int i = 0; i < VK_FRAMES; i++) {
    vk_frame *f = &c->frames[i];
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = c->pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    VKC(c, "vkAllocateCommandBuffers", vkAllocateCommandBuffers(c->dev, &ai, &f->cmd));
    VKC(c, "vkCreateFence", vkCreateFence(c->dev, &fi, NULL, &f->fence));
    DASHI_CALL(vk_buffer_create(c, VK_ARENA_BYTES, true, &f->arena, "argument arena"));
    if (c->prof) {
      VkQueryPoolCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                  .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                  .queryCount = VK_PROF_QUERIES};
      VKC(c, "vkCreateQueryPool", vkCreateQueryPool(c->dev, &qi, NULL, &f->qp));
    }
  }
  return 0;
}

/* DASHI_VK_PROFILE=1 or cfg->timestamps (-log_view): GPU time per kind of command, from one
 * timestamp after each command */
static void profile_setup(vk_ctx *c, bool want) {
  uint32_t nq = 0;
  c->prof = false;
  if (!want && !profile_wanted()) return;
  vkGetPhysicalDeviceQueueFamilyProperties(c->phys, &nq, NULL);
  VkQueueFamilyProperties *qp = calloc(nq ? nq : 1, sizeof *qp);
  vkGetPhysicalDeviceQueueFamilyProperties(c->phys, &nq, qp);
  c->prof = c->qfam < nq && qp[c->qfam].timestampValidBits > 0;
  free(qp);
}

static void profile_collect(vk_ctx *c, vk_frame *f) {
  if (!c->prof || f->nq < 2) return;
  uint64_t ts[VK_PROF_QUERIES];
  if (vkGetQueryPoolResults(c->dev, f->qp, 0, f->nq, sizeof ts, ts, sizeof ts[0],
                            VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT) != VK_SUCCESS)
    return;
  for (uint32_t i = 1; i < f->nq; i++) {
    c->prof_ms[f->label[i]] += (double)(ts[i] - ts[i - 1]) * c->props.limits.timestampPeriod * 1e-6;
    c->prof_n[f->label[i]]++;
  }
}

int vk_context_create(vk_ctx *c, const dashi_backend_config *cfg) {
  c->opt = cfg->opt ? cfg->opt : "-backend";
  DASHI_CALL(pick_device(c, cfg)); /* first: its node-local split is collective */
  DASHI_CALL(vk_env_bytes("DASHI_VK_MEMORY_BYTES", 1, 1, "a positive byte count", &c->mem_cap));
  DASHI_CALL(vk_env_bytes("DASHI_VK_LOSE_DEVICE_AFTER_STEPS", 1, 1, "a positive count of steps",
                          &c->lose_after));
  DASHI_CALL(make_device(c));
  profile_setup(c, cfg->timestamps);
  DASHI_CALL(make_frames(c));
  return 0;
}

static int wait_frame(vk_ctx *c, vk_frame *f) {
  if (!f->submitted) return 0;
  VKC(c, "waiting for the GPU (vkWaitForFences)",
      vkWaitForFences(c->dev, 1, &f->fence, VK_TRUE, UINT64_MAX));
  VKC(c, "vkResetFences", vkResetFences(c->dev, 1, &f->fence));
  profile_collect(c, f);
  f->submitted = false;
  f->arena_used = 0;
  return 0;
}

int vk_cmd(vk_ctx *c, VkCommandBuffer *cmd) {
  vk_frame *f = &c->frames[c->cur];
  if (!f->recording) {
    DASHI_CALL(wait_frame(c, f));
    VKC(c, "vkResetCommandBuffer", vkResetCommandBuffer(f->cmd, 0));
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    VKC(c, "vkBeginCommandBuffer", vkBeginCommandBuffer(f->cmd, &bi));
    f->recording = true;
    f->ncmds = 0;
    f->last_transfer = true; /* the first barrier of a buffer also covers earlier submits */
    f->nq = 0;
    if (c->prof) {
      vkCmdResetQueryPool(f->cmd, f->qp, 0, VK_PROF_QUERIES);
      vkCmdWriteTimestamp(f->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, f->qp, f->nq++);
    }
  }
  *cmd = f->cmd;
  return 0;
}

void vk_barrier(vk_ctx *c, VkCommandBuffer cmd, bool transfer) {
  vk_frame *f = &c->frames[c->cur];
  VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
  VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT,
                        .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT};
  if (transfer || f->last_transfer) {
    stages |= VK_PIPELINE_STAGE_TRANSFER_BIT;
    mb.srcAccessMask |= VK_ACCESS_TRANSFER_WRITE_BIT;
    mb.dstAccessMask |= VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  }
  vkCmdPipelineBarrier(cmd, stages, stages, 0, 1, &mb, 0, NULL, 0, NULL);
  f->last_transfer = transfer;
}

int vk_submit(vk_ctx *c, bool wait) {
  vk_frame *f = &c->frames[c->cur];
  if (f->recording) {
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask =
                              VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(f->cmd,
                         VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
    VKC(c, "vkEndCommandBuffer", vkEndCommandBuffer(f->cmd));
    f->recording = false;
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &f->cmd};
    /* test only: after DASHI_VK_LOSE_DEVICE_AFTER_STEPS steps every submit fails as a lost
     * device's would (the driver's failure path in a time loop, on lavapipe; step_end_op) */
    VkResult sr = c->lost ? VK_ERROR_DEVICE_LOST : vkQueueSubmit(c->queue, 1, &si, f->fence);
    VKC(c, "vkQueueSubmit", sr);
    f->submitted = true;
    c->submits++;
    c->cur = (c->cur + 1) % VK_FRAMES;
  }
  if (wait)
    for (int i = 0; i < VK_FRAMES; i++) DASHI_CALL(wait_frame(c, &c->frames[i]));
  return 0;
}

int vk_sync(vk_ctx *c) {
  return vk_submit(c, true);
}

int vk_count(vk_ctx *c, int label) {
  vk_frame *f = &c->frames[c->cur];
  if (c->prof && f->nq < VK_PROF_QUERIES) {
    f->label[f->nq] = (uint8_t)label;
    vkCmdWriteTimestamp(f->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, f->qp, f->nq++);
  }
  /* with -gpu_steps_per_submit the steps decide (vk_backend.c step_end), except when profiling:
   * the timestamp pool holds VK_PROF_QUERIES */
  if (++f->ncmds >= VK_FLUSH_DISPATCHES && (!c->steps_per_submit || c->prof))
    return vk_submit(c, false);
  return 0;
}

int vk_arena(vk_ctx *c, VkDeviceSize bytes, void **host, VkDeviceAddress *addr) {
  VkCommandBuffer cmd;
  bytes = (bytes + 255) & ~(VkDeviceSize)255;
  if (bytes > VK_ARENA_BYTES)
    return dashi_err(DASHI_ERR_DEVICE,
                     "Vulkan backend: %llu bytes of kernel arguments exceed the "
                     "%llu-byte argument arena",
                     (unsigned long long)bytes, (unsigned long long)VK_ARENA_BYTES);
  DASHI_CALL(vk_cmd(c, &cmd));
  vk_frame *f = &c->frames[c->cur];
  if (f->arena_used + bytes > VK_ARENA_BYTES) {
    DASHI_CALL(vk_submit(c, false));
    DASHI_CALL(vk_cmd(c, &cmd));
    f = &c->frames[c->cur];
  }
  *host = (char *)f->arena.map + f->arena_used;
  *addr = f->arena.addr + f->arena_used;
  f->arena_used += bytes;
  return 0;
}

void vk_context_destroy(vk_ctx *c) {
  if (c->dev) {
    vkDeviceWaitIdle(c->dev);
    for (int i = 0; i < VK_FRAMES; i++) {
      vk_frame *f = &c->frames[i];
      vk_buffer_destroy(c, &f->arena);
      if (f->fence) vkDestroyFence(c->dev, f->fence, NULL);
      if (f->qp) vkDestroyQueryPool(c->dev, f->qp, NULL);
    }
    if (c->plan_fence) vkDestroyFence(c->dev, c->plan_fence, NULL);
    if (c->pool) vkDestroyCommandPool(c->dev, c->pool, NULL);
    vkDestroyDevice(c->dev, NULL);
    c->dev = VK_NULL_HANDLE;
  }
  if (c->inst) vkDestroyInstance(c->inst, NULL);
  c->inst = VK_NULL_HANDLE;
}
