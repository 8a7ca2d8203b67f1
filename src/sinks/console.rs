//! `console` sink: NDJSON on stdout (or stderr), for `auditship parse`,
//! debugging and containers whose log driver is the destination.

use std::io::Write;

use super::SinkError;
use crate::config::ConsoleStream;

#[derive(Debug)]
pub struct ConsoleSink {
    stream: ConsoleStream,
}

impl ConsoleSink {
    pub fn new(stream: ConsoleStream) -> ConsoleSink {
        ConsoleSink { stream }
    }

    /// Writes each line and a newline, then flushes.
    pub fn write_batch(&mut self, lines: &[&[u8]]) -> Result<(), SinkError> {
        let result = match self.stream {
            ConsoleStream::Stdout => write_lines(&mut std::io::stdout().lock(), lines),
            ConsoleStream::Stderr => write_lines(&mut std::io::stderr().lock(), lines),
        };
        result.map_err(|source| SinkError::Console {
            stream: match self.stream {
                ConsoleStream::Stdout => "stdout",
                ConsoleStream::Stderr => "stderr",
            },
            source,
        })
    }
}

fn write_lines(out: &mut impl Write, lines: &[&[u8]]) -> std::io::Result<()> {
    for line in lines {
        out.write_all(line)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
