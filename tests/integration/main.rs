//! Integration tests: the real `auditship` binary on temp directories.
//! One test binary, grouped by purpose (one module each).

#[path = "../support/gen_audit.rs"]
mod gen_audit;
mod support;

mod bad_input;
mod cli;
mod end_to_end;
mod file_rotation;
mod journal_durability;
mod restarts;
