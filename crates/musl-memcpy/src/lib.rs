//! `memcpy` and `memmove` for auditship's static (musl) x86_64 build.
//!
//! musl's x86_64 `memcpy` starts every copy with `rep movsq` and ends it
//! with a byte loop; its `memmove` copies backwards a byte at a time. Both
//! are fine for long buffers and slow for the short strings and small
//! arrays an agent copies most: musl's `memcpy` was 28 % of the static
//! build's CPU in `bench/sink-throughput` (glibc's, 5 % of the glibc
//! build's). These copy up to 64 bytes with a few unaligned loads and
//! stores (all loads before any store, so overlap cannot matter), longer
//! buffers in 16-byte steps, and long ones with `rep movsb`, which every
//! x86_64 since 2013 runs at full speed (ERMS).
//!
//! The symbols are exported only in the musl x86_64 build, where the
//! linker takes them before musl's (its `memmove` needs `memcpy`'s file,
//! so both are replaced together). Elsewhere the crate is only the two
//! functions below, which the tests compare with a byte-by-byte copy for
//! every length, alignment and overlap up to a few hundred bytes.
//!
//! `no_builtins`: the compiler must not turn these loops back into calls
//! to `memcpy`, which would be these functions again.

#![no_std]
#![no_builtins]

use core::ptr::{read_unaligned, write_unaligned};

/// From this length on, a forward copy uses `rep movsb`.
const REP_MOVSB_FROM: usize = 2048;

/// Copies `n` bytes from `src` to `dst`, which must not overlap.
///
/// # Safety
/// As `core::ptr::copy_nonoverlapping`: both ranges valid for `n` bytes.
#[inline]
pub unsafe fn copy_nonoverlapping(dst: *mut u8, src: *const u8, n: usize) {
    if n <= 64 {
        copy_small(dst, src, n);
    } else if n >= REP_MOVSB_FROM {
        rep_movsb(dst, src, n);
    } else {
        copy_forward(dst, src, n);
    }
}

/// Copies `n` bytes from `src` to `dst`; the ranges may overlap.
///
/// # Safety
/// As `core::ptr::copy`: both ranges valid for `n` bytes.
#[inline]
pub unsafe fn copy(dst: *mut u8, src: *const u8, n: usize) {
    if n <= 64 {
        copy_small(dst, src, n);
    } else if (dst as usize).wrapping_sub(src as usize) >= n {
        // `dst` before `src`, or after its end: a forward copy never
        // overwrites a byte it has still to read.
        if n >= REP_MOVSB_FROM {
            rep_movsb(dst, src, n);
        } else {
            copy_forward(dst, src, n);
        }
    } else {
        copy_backward(dst, src, n);
    }
}

/// Up to 64 bytes: the first and the last chunk of the size class,
/// overlapping in the middle, every load before any store.
#[inline(always)]
unsafe fn copy_small(dst: *mut u8, src: *const u8, n: usize) {
    if n >= 32 {
        let a = load::<u128>(src);
        let b = load::<u128>(src.add(16));
        let c = load::<u128>(src.add(n - 32));
        let d = load::<u128>(src.add(n - 16));
        store(dst, a);
        store(dst.add(16), b);
        store(dst.add(n - 32), c);
        store(dst.add(n - 16), d);
    } else if n >= 16 {
        let a = load::<u128>(src);
        let b = load::<u128>(src.add(n - 16));
        store(dst, a);
        store(dst.add(n - 16), b);
    } else if n >= 8 {
        let a = load::<u64>(src);
        let b = load::<u64>(src.add(n - 8));
        store(dst, a);
        store(dst.add(n - 8), b);
    } else if n >= 4 {
        let a = load::<u32>(src);
        let b = load::<u32>(src.add(n - 4));
        store(dst, a);
        store(dst.add(n - 4), b);
    } else if n >= 2 {
        let a = load::<u16>(src);
        let b = load::<u16>(src.add(n - 2));
        store(dst, a);
        store(dst.add(n - 2), b);
    } else if n == 1 {
        *dst = *src;
    }
}

/// More than 16 bytes, front to back in 16-byte steps; the last 16 are
/// read first, so a `dst` before an overlapping `src` is copied right.
#[inline(always)]
unsafe fn copy_forward(dst: *mut u8, src: *const u8, n: usize) {
    let tail = load::<u128>(src.add(n - 16));
    let mut i = 0;
    while i + 16 < n {
        let chunk = load::<u128>(src.add(i));
        store(dst.add(i), chunk);
        i += 16;
    }
    store(dst.add(n - 16), tail);
}

/// More than 16 bytes, `dst` after an overlapping `src`: back to front in
/// 16-byte steps, the first 16 read first.
#[inline(always)]
unsafe fn copy_backward(dst: *mut u8, src: *const u8, n: usize) {
    let head = load::<u128>(src);
    let mut i = n;
    while i > 16 {
        i -= 16;
        let chunk = load::<u128>(src.add(i));
        store(dst.add(i), chunk);
    }
    store(dst, head);
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn rep_movsb(dst: *mut u8, src: *const u8, n: usize) {
    // Forward byte semantics, so also right for `dst` before an
    // overlapping `src`. The direction flag is clear (System V ABI).
    core::arch::asm!(
        "rep movsb",
        inout("rcx") n => _,
        inout("rdi") dst => _,
        inout("rsi") src => _,
        options(nostack, preserves_flags)
    );
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
unsafe fn rep_movsb(dst: *mut u8, src: *const u8, n: usize) {
    copy_forward(dst, src, n);
}

#[inline(always)]
unsafe fn load<T>(from: *const u8) -> T {
    read_unaligned(from.cast::<T>())
}

#[inline(always)]
unsafe fn store<T>(to: *mut u8, value: T) {
    write_unaligned(to.cast::<T>(), value);
}

/// The C symbols, in the static x86_64 build only.
#[cfg(all(target_env = "musl", target_arch = "x86_64"))]
mod exported {
    /// C `memcpy`.
    ///
    /// # Safety
    /// As C's: both ranges valid for `n` bytes, not overlapping.
    #[no_mangle]
    pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        super::copy_nonoverlapping(dst, src, n);
        dst
    }

    /// C `memmove`.
    ///
    /// # Safety
    /// As C's: both ranges valid for `n` bytes.
    #[no_mangle]
    pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
        super::copy(dst, src, n);
        dst
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    /// A buffer of distinct-ish bytes, so a misplaced byte shows.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + 3) as u8).collect()
    }

    /// What `copy(dst = buf+to, src = buf+from, n)` must leave in `buf`.
    fn expected(buf: &[u8], from: usize, to: usize, n: usize) -> Vec<u8> {
        let mut out = buf.to_vec();
        let moved: Vec<u8> = buf[from..from + n].to_vec();
        out[to..to + n].copy_from_slice(&moved);
        out
    }

    #[test]
    fn copy_nonoverlapping_every_length_and_alignment() {
        for n in (0..300).chain([2047, 2048, 2049, 4096, 5000]) {
            for src_off in 0..4 {
                for dst_off in 0..4 {
                    let src = pattern(n + 8);
                    let mut dst = std::vec![0xAAu8; n + 8];
                    unsafe {
                        super::copy_nonoverlapping(
                            dst.as_mut_ptr().add(dst_off),
                            src.as_ptr().add(src_off),
                            n,
                        )
                    };
                    assert_eq!(
                        &dst[dst_off..dst_off + n],
                        &src[src_off..src_off + n],
                        "n={n}"
                    );
                    assert!(
                        dst[..dst_off].iter().all(|&b| b == 0xAA),
                        "n={n}: wrote before"
                    );
                    assert!(
                        dst[dst_off + n..].iter().all(|&b| b == 0xAA),
                        "n={n}: wrote after"
                    );
                }
            }
        }
    }

    #[test]
    fn copy_handles_every_overlap_both_ways() {
        for n in (0..200).chain([2047, 2048, 3000]) {
            let shifts = [
                0usize, 1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 250,
            ];
            for shift in shifts {
                let len = n + shift + 16;
                let buf = pattern(len);
                // dst after src (backward copy when they overlap).
                let mut forward = buf.clone();
                let p = forward.as_mut_ptr();
                unsafe { super::copy(p.add(shift), p, n) };
                assert_eq!(
                    forward,
                    expected(&buf, 0, shift, n),
                    "n={n} dst=src+{shift}"
                );
                // dst before src.
                let mut backward = buf.clone();
                let p = backward.as_mut_ptr();
                unsafe { super::copy(p, p.add(shift), n) };
                assert_eq!(
                    backward,
                    expected(&buf, shift, 0, n),
                    "n={n} src=dst+{shift}"
                );
            }
        }
    }
}
