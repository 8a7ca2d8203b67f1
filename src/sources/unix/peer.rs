//! Who is on the other end of a unix socket, and whether they may write:
//! the kernel's credentials (`SO_PEERCRED` for a stream, `SCM_CREDENTIALS`
//! for each datagram) checked against `allow_uids` / `allow_gids`, and
//! their form in `origin.peer`.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::config::UnixSourceConfig;
use crate::sources::ingest::Peer;

/// `allow_uids` / `allow_gids`: `None` lets everyone in.
#[derive(Debug, Clone)]
pub struct PeerAllowList {
    uids: Option<Vec<u32>>,
    gids: Option<Vec<u32>>,
}

impl PeerAllowList {
    pub fn from_config(config: &UnixSourceConfig) -> PeerAllowList {
        PeerAllowList {
            uids: config.allow_uids.clone(),
            gids: config.allow_gids.clone(),
        }
    }

    /// Whether a list restricts anyone (then unknown credentials are refused).
    pub fn restricts(&self) -> bool {
        self.uids.is_some() || self.gids.is_some()
    }

    /// Both lists (those written) hold the peer's id.
    pub fn allows(&self, uid: u32, gid: u32) -> bool {
        self.uids.as_ref().is_none_or(|ids| ids.contains(&uid))
            && self.gids.as_ref().is_none_or(|ids| ids.contains(&gid))
    }
}

/// `{pid, uid, gid}` (and the sender's socket path, `addr`, when it bound
/// one) for `origin.peer`.
pub fn credentials_peer(pid: Option<i32>, uid: u32, gid: u32, addr: Option<String>) -> Peer {
    let mut map = Map::new();
    if let Some(pid) = pid {
        map.insert("pid".into(), Value::from(pid));
    }
    map.insert("uid".into(), Value::from(uid));
    map.insert("gid".into(), Value::from(gid));
    if let Some(addr) = addr {
        map.insert("addr".into(), Value::String(addr));
    }
    Some(Arc::new(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_written_list_must_hold_the_peer() {
        let list = |uids: Option<Vec<u32>>, gids: Option<Vec<u32>>| PeerAllowList { uids, gids };
        assert!(list(None, None).allows(5, 6));
        assert!(!list(None, None).restricts());
        assert!(list(Some(vec![5]), None).allows(5, 6));
        assert!(!list(Some(vec![4]), None).allows(5, 6));
        assert!(!list(Some(vec![5]), Some(vec![7])).allows(5, 6));
        assert!(list(Some(vec![5]), Some(vec![6, 7])).allows(5, 6));
        assert!(list(None, Some(vec![1])).restricts());
    }
}
