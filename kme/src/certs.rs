//! Test certificates for a demo on one machine (rcgen): a CA per site, each site's server
//! certificate (localhost, 127.0.0.1), and client certificates for the SAEs; also an SAE of
//! another name under site A's CA and a certificate from a CA nobody trusts, for the failure
//! cases. Real sites use their own PKI.

use std::path::Path;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

fn params(cn: &str, names: &[&str]) -> Result<CertificateParams, rcgen::Error> {
    let mut p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
    p.distinguished_name.push(DnType::CommonName, cn);
    Ok(p)
}

fn ca(cn: &str) -> Result<CertifiedIssuer<'static, KeyPair>, rcgen::Error> {
    let mut p = params(cn, &[])?;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    CertifiedIssuer::self_signed(p, KeyPair::generate()?)
}

fn leaf(
    dir: &Path,
    name: &str,
    cn: &str,
    names: &[&str],
    issuer: &CertifiedIssuer<'static, KeyPair>,
) -> std::io::Result<()> {
    let key = KeyPair::generate().map_err(std::io::Error::other)?;
    let cert = params(cn, names).and_then(|p| p.signed_by(&key, issuer)).map_err(std::io::Error::other)?;
    std::fs::write(dir.join(format!("{name}.pem")), cert.pem())?;
    std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem())
}

/// Writes the demo PKI into `dir`: `ca-a.pem`, `ca-b.pem`, `kme-a.pem/.key`, `kme-b.pem/.key`,
/// `sae-a.pem/.key` (SAE_A, site A's CA), `sae-b.pem/.key` (SAE_B, site B's CA),
/// `sae-c.pem/.key` (SAE_C, site A's CA), `rogue.pem/.key` (SAE_A from an untrusted CA), and
/// `ca-r.pem`, `kme-r.pem/.key` for a trusted node.
pub fn write_demo(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let err = std::io::Error::other;
    let (ca_a, ca_b, rogue) =
        (ca("qkdlab site A CA").map_err(err)?, ca("qkdlab site B CA").map_err(err)?, ca("rogue CA").map_err(err)?);
    std::fs::write(dir.join("ca-a.pem"), ca_a.pem())?;
    std::fs::write(dir.join("ca-b.pem"), ca_b.pem())?;
    let local = ["localhost", "127.0.0.1"];
    leaf(dir, "kme-a", "KME_A", &local, &ca_a)?;
    leaf(dir, "kme-b", "KME_B", &local, &ca_b)?;
    leaf(dir, "sae-a", "SAE_A", &[], &ca_a)?;
    leaf(dir, "sae-b", "SAE_B", &[], &ca_b)?;
    leaf(dir, "sae-c", "SAE_C", &[], &ca_a)?;
    leaf(dir, "rogue", "SAE_A", &[], &rogue)?;
    // SAE_A's name under site B's CA: it must not open A's stream at site B.
    leaf(dir, "impostor", "SAE_A", &[], &ca_b)?;
    // A trusted node's KME, under its own site's CA.
    let ca_r = ca("qkdlab site R CA").map_err(err)?;
    std::fs::write(dir.join("ca-r.pem"), ca_r.pem())?;
    leaf(dir, "kme-r", "KME_R", &local, &ca_r)
}
