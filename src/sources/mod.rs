//! Sources: where bytes come from and where they were in their origin.
//!
//! Each source reads bytes, frames them into records and says where each
//! came from (file identity + offset, peer), so that re-reading the same
//! bytes yields the same position. Sources never parse formats and never talk
//! to sinks; they hand records to the pipeline over a bounded channel and
//! advance their checkpoint only for what the pipeline has acknowledged.

pub mod file;
