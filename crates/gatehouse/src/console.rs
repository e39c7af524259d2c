//! Where `gatehouse up` writes its log: lines gather in memory and reach stderr a few
//! milliseconds later in one write, instead of one write per line. Every request is logged, and
//! a write per request cost about a tenth of the server's throughput under load. Other commands
//! log straight to stderr.

use std::io::Write;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// Written out at once past this size, so a burst never holds much.
const FLUSH_AT: usize = 64 * 1024;
/// How long a line may wait for the lines after it.
const LINGER: Duration = Duration::from_millis(5);

static BUF: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static WAITING: Condvar = Condvar::new();
static WRITING: Mutex<()> = Mutex::new(());
/// Set by [`buffer`]: until then the log goes straight to stderr.
static BUFFERED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn buf() -> MutexGuard<'static, Vec<u8>> {
    BUF.lock().unwrap_or_else(PoisonError::into_inner)
}

fn write_out(buf: &mut Vec<u8>) {
    if !buf.is_empty() {
        let _ = std::io::stderr().write_all(buf);
        buf.clear();
    }
}

/// Writes out whatever is buffered now; call before printing anything else to stderr. The
/// lines are taken out first, so a slow stderr holds up a thread that logs only once 64 KiB wait.
pub fn flush() {
    // One writer at a time, so batches reach stderr in the order they were taken.
    let _writing = WRITING.lock().unwrap_or_else(PoisonError::into_inner);
    let mut lines = std::mem::take(&mut *buf());
    write_out(&mut lines);
    // Keep the allocation for the next lines when nothing came in meanwhile.
    let mut b = buf();
    if b.is_empty() && lines.capacity() <= FLUSH_AT * 2 {
        *b = lines;
    }
}

/// Buffers from now on: starts the thread that writes the lines out, and makes a panic write
/// them out before its own message.
pub fn buffer() {
    let started = std::thread::Builder::new()
        .name("log".into())
        .spawn(|| {
            loop {
                let mut b = buf();
                while b.is_empty() {
                    b = WAITING.wait(b).unwrap_or_else(PoisonError::into_inner);
                }
                drop(b);
                std::thread::sleep(LINGER);
                flush();
            }
        })
        .is_ok();
    if started {
        BUFFERED.store(true, std::sync::atomic::Ordering::Relaxed);
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            flush();
            previous(info);
        }));
    }
}

/// The log's writer: buffered once [`buffer`] has run, else stderr.
#[derive(Debug)]
pub struct Writer;

impl Write for Writer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if !BUFFERED.load(std::sync::atomic::Ordering::Relaxed) {
            return std::io::stderr().write(bytes);
        }
        let mut b = buf();
        let was_empty = b.is_empty();
        b.extend_from_slice(bytes);
        let full = b.len() >= FLUSH_AT;
        drop(b);
        if full {
            // A burst: written out now, which also holds the logging thread back while stderr
            // is slower than the lines come.
            flush();
        } else if was_empty {
            WAITING.notify_one();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wait_in_the_buffer_once_buffering() {
        // The flushing thread is not started here: it would race the assertion.
        BUFFERED.store(true, std::sync::atomic::Ordering::Relaxed);
        Writer.write_all(b"one\n").expect("write");
        Writer.write_all(b"two\n").expect("write");
        let held = std::mem::take(&mut *buf());
        assert_eq!(held, b"one\ntwo\n");
    }
}
