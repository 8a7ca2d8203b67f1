//! The agent's memory allocator and its settings, chosen per C library:
//! what an event costs in CPU and what the agent holds in RSS depend on
//! the allocator more than on any one piece of code.
//!
//! - glibc (the everyday build): glibc's `malloc`, limited to two arenas.
//! - musl (the static build the Dockerfile ships): mimalloc, with settings
//!   that give memory back to the system at once. musl's own `malloc`
//!   serializes the threads on one lock and took the agent's CPU per event
//!   to 2.5–3 times the glibc build's (README, "Static binary").
//!
//! An operator's own settings in the environment always win.

/// mimalloc for the static x86_64 build. Not on aarch64: that build
/// compiles C with a glibc cross compiler, and mimalloc was not checked
/// there; musl's `malloc` stays.
#[cfg(all(target_env = "musl", target_arch = "x86_64"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// musl's `memcpy` and `memmove` replaced (see that crate): named here so
/// that the crate is linked.
#[cfg(all(target_env = "musl", target_arch = "x86_64"))]
use musl_memcpy as _;

/// Sets the allocator's parameters. Called first thing in `main`, before
/// any thread exists.
pub fn tune() {
    limit_glibc_arenas();
    tune_mimalloc();
}

/// Two glibc malloc arenas for the whole agent, unless the operator chose
/// (`MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` in the environment).
///
/// Why: glibc gives each thread that allocates its own arena (up to 8 per
/// core) and keeps what was freed in each. The parse workers, the journal
/// writer and the runtime's threads each grew one: 62 MiB peak RSS in
/// `SINK=http bench/sink-throughput` (300,000 events). Measured there and
/// with the file sink: one arena 33 MiB but 15–30 % more CPU (every
/// thread's allocations meet at its lock); two arenas 37–39 MiB (27 with
/// the file sink) at about the same CPU as glibc's default.
fn limit_glibc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none()
        && std::env::var_os("GLIBC_TUNABLES").is_none()
    {
        /// See above.
        const MALLOC_ARENAS: i32 = 2;
        // SAFETY: mallopt only sets an allocator parameter; no thread has
        // been started yet, and a refused value (return 0) leaves glibc's
        // default in place.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
        }
    }
}

/// mimalloc's defaults keep freed memory for a second, commit its arenas
/// whole and ask for transparent huge pages: 79–93 MiB peak RSS in
/// `bench/sink-throughput` (file sink, 300,000 events) against 22 MiB with
/// musl's `malloc`. Purging at once, committing on demand and no huge
/// pages: 30 MiB, at 4.1–4.6 CPU-s against musl's 8.4–9.3 (glibc: 3.2–3.7).
/// Each is left alone when its `MIMALLOC_*` variable is set.
fn tune_mimalloc() {
    #[cfg(all(target_env = "musl", target_arch = "x86_64"))]
    {
        // Positions in mimalloc's `mi_option_e` (include/mimalloc.h). The
        // enum keeps retired options as placeholders, so these stay put.
        const ARENA_EAGER_COMMIT: i32 = 4;
        const PURGE_DELAY: i32 = 15;
        const ALLOW_THP: i32 = 43;
        for (variable, option, value) in [
            ("MIMALLOC_PURGE_DELAY", PURGE_DELAY, 0),
            ("MIMALLOC_ARENA_EAGER_COMMIT", ARENA_EAGER_COMMIT, 0),
            ("MIMALLOC_ALLOW_THP", ALLOW_THP, 0),
        ] {
            if std::env::var_os(variable).is_none() {
                // SAFETY: sets one option of the allocator, by its number in
                // the linked mimalloc's enum; no other thread exists yet.
                unsafe { libmimalloc_sys::mi_option_set(option, value) };
            }
        }
    }
}
