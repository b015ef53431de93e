//! A spinner on stderr for scans that take long: it appears only after a delay, only on a
//! terminal, and is cleared before anything else is printed.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Scans shorter than this show nothing (most listings with a warm cache).
const DELAY: Duration = Duration::from_millis(150);
const TICK: Duration = Duration::from_millis(80);

/// Shows while alive; dropping it stops and clears it.
pub struct Spinner {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Spinner {
    /// Starts the delay; `enabled` is false for `--json` and quiet output.
    pub fn after_delay(message: &'static str, enabled: bool) -> Self {
        if !enabled || !std::io::stderr().is_terminal() {
            return Self {
                stop: None,
                thread: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("spinner".into())
            .spawn(move || {
                if stopped.recv_timeout(DELAY) != Err(mpsc::RecvTimeoutError::Timeout) {
                    return;
                }
                let bar = indicatif::ProgressBar::new_spinner();
                bar.set_message(message);
                bar.enable_steady_tick(TICK);
                // Sender dropped or a stop sent: either way the scan is over.
                let _ = stopped.recv();
                bar.finish_and_clear();
            })
            .ok();
        Self {
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // A spinner that panicked has nothing left to clear.
            let _ = thread.join();
        }
    }
}
