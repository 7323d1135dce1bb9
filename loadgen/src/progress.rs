//! Progress while a run goes: a bar on a terminal, a plain line a second otherwise (compose
//! logs, CI), nothing with `--quiet`.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Counters the clients bump; the reporter only reads them.
#[derive(Debug, Default)]
pub struct Counters {
    pub done: AtomicU64,
    pub errors: AtomicU64,
}

impl Counters {
    pub fn completed(&self, ok: bool) {
        self.done.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Display {
    Bar,
    Lines,
    Quiet,
}

impl Display {
    /// A bar when stderr is a terminal, lines otherwise.
    pub fn auto(quiet: bool) -> Self {
        if quiet {
            Display::Quiet
        } else if std::io::stderr().is_terminal() {
            Display::Bar
        } else {
            Display::Lines
        }
    }
}

/// The reporting task; [`Reporter::finish`] stops it.
#[derive(Debug)]
pub struct Reporter {
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Reporter {
    pub fn start(
        display: Display,
        what: &'static str,
        total: u64,
        counters: Arc<Counters>,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = match display {
            Display::Quiet => None,
            Display::Bar => Some(tokio::spawn(bar(what, total, counters, stopped))),
            Display::Lines => Some(tokio::spawn(lines(what, total, counters, stopped))),
        };
        Self { stop, task }
    }

    pub async fn finish(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

async fn bar(
    what: &'static str,
    total: u64,
    counters: Arc<Counters>,
    mut stopped: watch::Receiver<bool>,
) {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {pos}/{len} {msg} ({per_sec})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    loop {
        let errors = counters.errors.load(Ordering::Relaxed);
        bar.set_position(counters.done.load(Ordering::Relaxed));
        bar.set_message(format!("{what}, {errors} errors"));
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(100)) => {}
            _ = stopped.changed() => break,
        }
    }
    bar.set_position(counters.done.load(Ordering::Relaxed));
    bar.finish_and_clear();
}

async fn lines(
    what: &'static str,
    total: u64,
    counters: Arc<Counters>,
    mut stopped: watch::Receiver<bool>,
) {
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut last = 0;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.changed() => return,
        }
        let done = counters.done.load(Ordering::Relaxed);
        let errors = counters.errors.load(Ordering::Relaxed);
        eprintln!(
            "loadgen: {:>6.1} s  {done}/{total} {what}  {}/s  {errors} errors",
            started.elapsed().as_secs_f64(),
            done - last,
        );
        last = done;
    }
}
