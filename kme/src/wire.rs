//! Messages between two KMEs over TCP: a 4-byte big-endian length, a channel byte, then the
//! message. Channel [`QKD`] carries the core's frames (authenticated by the link itself);
//! [`RELAY`] a trusted node's one-time-padded keys (authenticated by a link key, see
//! [`crate::relay`]); [`PATH`] a trusted node's report of its onward link (display only). The
//! length is capped so a hostile peer cannot make this side allocate without bound.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Largest frame accepted (a 2^28-pulse round's photons fit in 64 MiB).
pub const MAX_FRAME: usize = 64 << 20;

/// The core's link frames.
pub const QKD: u8 = 0;
/// Keys relayed by a trusted node.
pub const RELAY: u8 = 1;
/// A trusted node's onward link state.
pub const PATH: u8 = 2;

/// Writes one message on `channel`.
pub async fn send_on<W: AsyncWriteExt + Unpin>(w: &mut W, channel: u8, msg: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(msg.len() + 1).map_err(|_| std::io::Error::other("message too large"))?;
    w.write_all(&len.to_be_bytes()).await?;
    w.write_all(&[channel]).await?;
    w.write_all(msg).await?;
    w.flush().await
}

/// Writes one QKD frame.
pub async fn send<W: AsyncWriteExt + Unpin>(w: &mut W, frame: &[u8]) -> std::io::Result<()> {
    send_on(w, QKD, frame).await
}

/// Reads one message: its channel and bytes (an error at end of stream, on an empty message or
/// past [`MAX_FRAME`]).
pub async fn recv<R: AsyncReadExt + Unpin>(r: &mut R) -> std::io::Result<(u8, Vec<u8>)> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).await?;
    let len = u32::from_be_bytes(len) as usize;
    if len == 0 || len > MAX_FRAME {
        return Err(std::io::Error::other(format!("the peer sent a {len}-byte message (1 to {MAX_FRAME})")));
    }
    let mut buf = vec![0u8; len];
    r.read_exact(&mut buf).await?;
    let channel = buf.remove(0);
    Ok((channel, buf))
}
