//! Who is on the other end of a loopback connection: the Runtime API of an instance serves
//! only that instance's process and its descendants. Anyone else on the machine (another
//! user, another program of the same user) who finds the port could otherwise take the next
//! event, with the caller's token in it, and answer in the function's place.
//!
//! Linux only: the client's socket is found in `/proc/net/tcp{,6}` by its address pair, then
//! among the file descriptors of the instance's process tree (`socket:[<inode>]`). A process
//! of another user cannot be read there, and is not the instance's descendant anyway.

use std::net::SocketAddr;

/// Whether the TCP connection from `peer` to `local` (our listener) is held by process `root`
/// or one of its descendants.
#[cfg(target_os = "linux")]
pub fn held_by_tree(root: u32, local: SocketAddr, peer: SocketAddr) -> bool {
    let Some(inode) = client_socket_inode(local, peer) else {
        return false;
    };
    let link = format!("socket:[{inode}]");
    tree(root).into_iter().any(|pid| holds(pid, &link))
}

/// On other systems the peer cannot be identified; every local connection is served.
#[cfg(not(target_os = "linux"))]
pub fn held_by_tree(_root: u32, _local: SocketAddr, _peer: SocketAddr) -> bool {
    true
}

/// `/proc/net/tcp`'s form of an address: the IPv4 word or IPv6 words as the kernel stores
/// them (native byte order, printed in hex), and the port in hex.
#[cfg(target_os = "linux")]
fn proc_form(a: SocketAddr) -> String {
    use std::fmt::Write;
    match a {
        SocketAddr::V4(v4) => format!(
            "{:08X}:{:04X}",
            u32::from_ne_bytes(v4.ip().octets()),
            v4.port()
        ),
        SocketAddr::V6(v6) => {
            let mut s = String::with_capacity(37);
            for chunk in v6.ip().octets().chunks(4) {
                let word = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
                let _ = write!(s, "{word:08X}");
            }
            let _ = write!(s, ":{:04X}", v6.port());
            s
        }
    }
}

/// The inode of the client's end: the socket whose local address is `peer` and whose remote
/// address is `local`.
#[cfg(target_os = "linux")]
fn client_socket_inode(local: SocketAddr, peer: SocketAddr) -> Option<u64> {
    let table = if peer.is_ipv4() {
        "/proc/net/tcp"
    } else {
        "/proc/net/tcp6"
    };
    let text = std::fs::read_to_string(table).ok()?;
    let (want_local, want_remote) = (proc_form(peer), proc_form(local));
    text.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        (f.get(1) == Some(&want_local.as_str()) && f.get(2) == Some(&want_remote.as_str()))
            .then(|| f.get(9)?.parse().ok())
            .flatten()
    })
}

/// `root` and its descendants.
#[cfg(target_os = "linux")]
fn tree(root: u32) -> Vec<u32> {
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let pid = out[i];
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for t in tasks.flatten() {
                let children =
                    std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
                out.extend(
                    children
                        .split_whitespace()
                        .filter_map(|c| c.parse::<u32>().ok()),
                );
            }
        }
        i += 1;
    }
    out
}

/// Whether `pid` has a file descriptor pointing at `link`.
#[cfg(target_os = "linux")]
fn holds(pid: u32, link: &str) -> bool {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.flatten()
        .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| t.as_os_str() == link))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn loopback_addresses_take_the_kernels_form() {
        let a: SocketAddr = "127.0.0.1:8080".parse().expect("addr");
        assert_eq!(proc_form(a), "0100007F:1F90");
    }

    #[test]
    fn a_connection_is_held_by_this_process_and_not_by_another() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let local = listener.local_addr().expect("addr");
        let client = std::net::TcpStream::connect(local).expect("connect");
        let (_server_end, peer) = listener.accept().expect("accept");
        assert_eq!(peer, client.local_addr().expect("addr"));
        assert!(held_by_tree(std::process::id(), local, peer));
        // Another process (a child of this test, started after the connection) does not.
        let child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("sleep");
        assert!(!held_by_tree(child.id(), local, peer));
        let mut child = child;
        let _ = child.kill();
        let _ = child.wait();
    }
}
