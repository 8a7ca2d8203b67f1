//! One cancellation signal for the whole agent.
//!
//! Every long-running loop holds a [`Shutdown`] and `select!`s on
//! [`Shutdown::recv`], so no read or wait blocks a clean exit. The owner keeps
//! the [`ShutdownTrigger`] and fires it once (SIGTERM, SIGINT, or a test).

use tokio::sync::watch;

/// Fires the shutdown signal. Dropping it does not fire it.
#[derive(Debug, Clone)]
pub struct ShutdownTrigger {
    tx: std::sync::Arc<watch::Sender<bool>>,
}

/// A cheap, clonable handle that resolves once shutdown has been requested.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

/// A new, not yet fired, shutdown signal.
pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (
        ShutdownTrigger {
            tx: std::sync::Arc::new(tx),
        },
        Shutdown { rx },
    )
}

impl ShutdownTrigger {
    /// Requests shutdown; every [`Shutdown::recv`] resolves from now on.
    pub fn fire(&self) {
        self.tx.send_replace(true);
    }

    /// A handle for another task.
    pub fn subscribe(&self) -> Shutdown {
        Shutdown {
            rx: self.tx.subscribe(),
        }
    }
}

impl Shutdown {
    /// True once shutdown was requested.
    pub fn is_requested(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves when shutdown is requested (at once if it already was).
    pub async fn recv(&mut self) {
        // An error means every trigger is gone: nobody can fire any more,
        // which we treat as "never" rather than "now".
        if self.rx.wait_for(|fired| *fired).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// A signal of its own for one component, that also fires when this one
    /// does: the agent stops everything with the parent, a reload stops one
    /// component with the returned trigger. The forwarding task ends when
    /// the parent fires or every handle of the child is dropped.
    pub fn child(&self) -> (ShutdownTrigger, Shutdown) {
        let (trigger, child) = channel();
        let mut parent = self.clone();
        let forward = trigger.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = parent.recv() => forward.fire(),
                _ = forward.tx.closed() => {}
            }
        });
        (trigger, child)
    }

    /// A handle that never fires, for tools and tests that run to the end.
    pub fn never() -> Shutdown {
        let (tx, rx) = watch::channel(false);
        std::mem::forget(tx);
        Shutdown { rx }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn recv_resolves_after_fire_for_every_clone() {
        let (trigger, shutdown) = channel();
        let mut a = shutdown.clone();
        let mut b = trigger.subscribe();
        assert!(!a.is_requested());
        trigger.fire();
        tokio::time::timeout(Duration::from_secs(1), a.recv())
            .await
            .unwrap();
        tokio::time::timeout(Duration::from_secs(1), b.recv())
            .await
            .unwrap();
        assert!(b.is_requested());
    }

    #[tokio::test]
    async fn a_child_fires_with_its_parent_or_alone() {
        let (parent_trigger, parent) = channel();
        let (child_trigger, mut child) = parent.child();
        let (_other_trigger, mut other) = parent.child();
        child_trigger.fire();
        tokio::time::timeout(Duration::from_secs(1), child.recv())
            .await
            .unwrap();
        assert!(!parent.is_requested(), "a child never fires its parent");
        assert!(!other.is_requested(), "nor its siblings");
        parent_trigger.fire();
        tokio::time::timeout(Duration::from_secs(1), other.recv())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn never_does_not_resolve() {
        let mut s = Shutdown::never();
        assert!(tokio::time::timeout(Duration::from_millis(50), s.recv())
            .await
            .is_err());
    }
}
