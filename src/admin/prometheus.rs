//! A writer for the Prometheus text exposition format (version 0.0.4).
//!
//! Why not a crate: the format is a few lines per metric family and the
//! agent only exports numbers it already keeps in atomics; a metrics
//! registry crate would add a proc-macro build and a second copy of every
//! counter, on hosts where binary size and build time matter.
//!
//! Escaping follows the format: label values escape `\`, `"` and line feed;
//! HELP text escapes `\` and line feed. Names are fixed in code.

use std::fmt::Write;

/// One metric family being written: `# HELP`, `# TYPE`, then samples.
pub struct Exposition {
    text: String,
}

/// Prometheus metric types used here.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Exposition {
    pub fn new() -> Exposition {
        Exposition {
            text: String::with_capacity(4096),
        }
    }

    /// Starts a family; its samples follow.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) -> &mut Self {
        let kind = match kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        self
    }

    /// One sample line: `name{labels} value`.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) -> &mut Self {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (label, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{label}=\"{}\"", escape_label(value));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", number(value));
        self
    }

    /// A histogram's samples from cumulative bucket counts
    /// (`bounds[i]` seconds ↔ `cumulative[i]`), total count and sum.
    pub fn histogram(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        bounds: &[f64],
        cumulative: &[u64],
        count: u64,
        sum: f64,
    ) -> &mut Self {
        let bucket = format!("{name}_bucket");
        for (bound, n) in bounds.iter().zip(cumulative) {
            let le = number(*bound);
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            self.sample(&bucket, &with_le, *n as f64);
        }
        let mut with_le = labels.to_vec();
        with_le.push(("le", "+Inf"));
        self.sample(&bucket, &with_le, count as f64);
        self.sample(&format!("{name}_sum"), labels, sum);
        self.sample(&format!("{name}_count"), labels, count as f64)
    }

    pub fn finish(self) -> String {
        self.text
    }
}

impl Default for Exposition {
    fn default() -> Self {
        Exposition::new()
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Integers without a fraction; others in Rust's shortest round-trip form.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_samples_and_escaping_follow_the_text_format() {
        let mut out = Exposition::new();
        out.family(
            "auditship_events_read_total",
            Kind::Counter,
            "Events read.\nAll sources.",
        )
        .sample(
            "auditship_events_read_total",
            &[("source", "a\"b\\c\nd")],
            42.0,
        );
        out.family("auditship_latency_seconds", Kind::Histogram, "Latency.")
            .histogram(
                "auditship_latency_seconds",
                &[("sink", "s")],
                &[0.005, 0.25],
                &[1, 3],
                4,
                1.5,
            );
        assert_eq!(
            out.finish(),
            "# HELP auditship_events_read_total Events read.\\nAll sources.\n\
             # TYPE auditship_events_read_total counter\n\
             auditship_events_read_total{source=\"a\\\"b\\\\c\\nd\"} 42\n\
             # HELP auditship_latency_seconds Latency.\n\
             # TYPE auditship_latency_seconds histogram\n\
             auditship_latency_seconds_bucket{sink=\"s\",le=\"0.005\"} 1\n\
             auditship_latency_seconds_bucket{sink=\"s\",le=\"0.25\"} 3\n\
             auditship_latency_seconds_bucket{sink=\"s\",le=\"+Inf\"} 4\n\
             auditship_latency_seconds_sum{sink=\"s\"} 1.5\n\
             auditship_latency_seconds_count{sink=\"s\"} 4\n"
        );
    }
}
