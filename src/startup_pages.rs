//! Gives back the pages of the agent's own binary that only starting used.
//!
//! Starting touches code all over the binary (command line, configuration
//! checks, TLS set-up, every component's constructor), and the kernel maps
//! the pages around each page that faults too: about 12 MiB of the
//! binary was resident in an idle agent, against ≈ 1.2 MiB of data. Once
//! everything has started, [`release`] tells the kernel that the process
//! no longer needs those pages (`madvise(MADV_DONTNEED)`); what runs
//! afterwards maps its pages again from the page cache at first use, so
//! what stays resident is what the agent uses (and the pages around it:
//! idle, 13.2 → 9.9 MiB in all on x86_64 glibc).
//!
//! Only mappings of the executable that are read-only and hold no page of
//! their own (no anonymous page — e.g. not the relocated, then
//! write-protected, `.data.rel.ro`) are released: their pages are the
//! file's, unchanged, so dropping them loses nothing.

/// Releases the binary's clean pages; a failure only leaves them
/// resident, so it is logged at debug level and otherwise ignored.
pub fn release() {
    #[cfg(target_os = "linux")]
    if let Err(error) = release_code_pages() {
        tracing::debug!(%error, "Could not release the start-up code pages.");
    }
}

#[cfg(target_os = "linux")]
fn release_code_pages() -> std::io::Result<()> {
    let exe = std::fs::read_link("/proc/self/exe")?;
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    for (start, end) in clean_read_only_mappings(&smaps, &exe.to_string_lossy()) {
        let (addr, len) = (start as *mut libc::c_void, end - start);
        // SAFETY: [start, end) is a whole mapping of this process's own
        // executable that is not writable and holds no page of its own
        // (no anonymous page: nothing was relocated or written there), so
        // every page dropped faults back in unchanged from the file (from
        // the page cache, which keeps even pages not yet written back).
        let result = unsafe { libc::madvise(addr, len, libc::MADV_DONTNEED) };
        if result != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(any(target_os = "linux", test))]
/// (start, end) of each mapping of `exe` in a `/proc/PID/smaps` text that
/// is not writable and has no anonymous page (a page copied on write, as
/// relocations do). `Private_Dirty` is no guide: it also counts page-cache
/// pages not yet written back, as in a binary just built or copied.
fn clean_read_only_mappings(smaps: &str, exe: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    // The mapping being read: its range if it is a candidate, and whether
    // a page of it was seen written.
    let mut current: Option<(usize, usize)> = None;
    let mut copied = false;
    let mut finish = |current: Option<(usize, usize)>, copied: bool| {
        if let (Some(range), false) = (current, copied) {
            out.push(range);
        }
    };
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let Some(first) = fields.next() else { continue };
        if let Some((start, end)) = first.split_once('-').filter(|_| !first.ends_with(':')) {
            finish(current.take(), copied);
            copied = false;
            let perms = fields.next().unwrap_or("");
            let path = fields.nth(3);
            let read_only = perms.starts_with('r') && perms.as_bytes().get(1) == Some(&b'-');
            if read_only && path == Some(exe) {
                current = usize::from_str_radix(start, 16)
                    .ok()
                    .zip(usize::from_str_radix(end, 16).ok())
                    .filter(|(start, end)| end > start);
            }
        } else if first == "Anonymous:" {
            copied |= fields.next().is_some_and(|kb| kb != "0");
        }
    }
    finish(current, copied);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read-only data, text (just built: its page cache is dirty),
    /// relocated read-only data (anonymous pages), writable data, a
    /// library and the heap.
    const SMAPS: &str = "\
55d0c0000000-55d0c0400000 r--p 00000000 fe:01 123 /usr/bin/auditship
Rss:                2048 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
55d0c0400000-55d0c0e00000 r-xp 00400000 fe:01 123 /usr/bin/auditship
Rss:                5000 kB
Private_Dirty:       704 kB
Anonymous:             0 kB
55d0c0e00000-55d0c1000000 r--p 00e00000 fe:01 123 /usr/bin/auditship
Rss:                 680 kB
Private_Dirty:       680 kB
Anonymous:           680 kB
55d0c1000000-55d0c1010000 rw-p 01000000 fe:01 123 /usr/bin/auditship
Rss:                  64 kB
Private_Dirty:         0 kB
Anonymous:             0 kB
7f0000000000-7f0000200000 r-xp 00028000 fe:01 456 /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                 900 kB
Private_Dirty:         0 kB
7f0000400000-7f0000401000 rw-p 00000000 00:00 0 
Rss:                   4 kB
Private_Dirty:         4 kB
";

    #[test]
    fn only_clean_read_only_mappings_of_the_executable_are_chosen() {
        assert_eq!(
            clean_read_only_mappings(SMAPS, "/usr/bin/auditship"),
            [
                (0x55d0c0000000, 0x55d0c0400000),
                (0x55d0c0400000, 0x55d0c0e00000)
            ]
        );
        assert!(clean_read_only_mappings(SMAPS, "/usr/bin/other").is_empty());
    }

    #[test]
    fn releasing_leaves_the_process_running_its_code_and_reading_its_data() {
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        assert!(
            !clean_read_only_mappings(&smaps, &exe.to_string_lossy()).is_empty(),
            "the test binary has mappings to release"
        );
        release();
        // Code, constant data and relocated data (the formatting
        // machinery's vtables) still work: they fault back in from the file
        // or were never dropped.
        let text = format!(
            "{:?} {}",
            (1..5).map(|i| i * 3).collect::<Vec<_>>(),
            "const"
        );
        assert_eq!(text, "[3, 6, 9, 12] const");
    }
}
