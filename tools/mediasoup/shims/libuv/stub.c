/*
 * Placeholder translation unit for the 'libuv' shim subproject.
 *
 * mediasoup's worker/meson.build lists "*_lib" variables of its subprojects in
 * the link_whole of the 'libmediasoup-worker' library target, which is not
 * built by default. Meson still needs them to be library targets, so the shim
 * builds an empty static library from this file. The real code comes from the
 * system library declared in meson.build.
 */
typedef int boomerang_mediasoup_shim_unused;
