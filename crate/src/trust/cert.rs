//! X.509 certificates for Ed25519 identities (RFC 5280, with Ed25519 per RFC 8410): a test CA
//! issues them (rcgen, its signatures made by ed25519-dalek), and a verifier checks a chain to
//! the root it trusts (x509-parser reads; each signature is checked with ed25519-dalek over the
//! certificate's to-be-signed bytes), the validity period at a given time, the CA flag of every
//! issuer, a revocation list, and the name it expects on the leaf. What it returns, the leaf's
//! public key, is then pinned for the round-1 transcript signature as with a safety number.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyUsagePurpose, PublicKeyData, SerialNumber};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::TrustError;
use crate::auth::Identity;
use crate::error::Error;

/// An Ed25519 key as rcgen's signer (its public half, or both halves).
struct Ed25519Key<'a> {
    public: [u8; 32],
    signing: Option<&'a SigningKey>,
}

impl PublicKeyData for Ed25519Key<'_> {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ED25519
    }
}

impl rcgen::SigningKey for Ed25519Key<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let key = self.signing.ok_or(rcgen::Error::RemoteKeyError)?;
        Ok(key.sign(msg).to_bytes().to_vec())
    }
}

/// What a certificate says: its subject's name, key, validity (Unix seconds), whether it is a
/// CA, its serial number.
#[derive(Debug, Clone)]
pub struct CertificateSpec {
    /// The subject's common name (the name a verifier expects).
    pub name: String,
    /// Not valid before (Unix seconds).
    pub not_before: i64,
    /// Not valid after (Unix seconds).
    pub not_after: i64,
    /// Whether the subject may issue certificates.
    pub ca: bool,
    /// Serial number (what a revocation list names).
    pub serial: u64,
}

fn date(field: &'static str, unix: i64) -> Result<time::OffsetDateTime, Error> {
    time::OffsetDateTime::from_unix_timestamp(unix).map_err(|_| Error::invalid(field, "is not a valid Unix time"))
}

fn params(spec: &CertificateSpec) -> Result<CertificateParams, Error> {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CommonName, spec.name.as_str());
    p.not_before = date("notBefore", spec.not_before)?;
    p.not_after = date("notAfter", spec.not_after)?;
    p.serial_number = Some(SerialNumber::from_slice(&spec.serial.to_be_bytes()));
    if spec.ca {
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    } else {
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    }
    Ok(p)
}

/// A certificate authority for tests and the playground: its identity, its certificate
/// (self-signed for a root, or issued by a parent for an intermediate).
#[derive(Debug, Clone)]
pub struct TestCa {
    identity: Identity,
    params: CertificateParams,
    cert: Vec<u8>,
}

impl TestCa {
    /// A root CA with a self-signed certificate (`spec.ca` is forced on).
    pub fn root(identity: Identity, spec: &CertificateSpec) -> Result<Self, Error> {
        let params = params(&CertificateSpec { ca: true, ..spec.clone() })?;
        let key = Ed25519Key { public: identity.public().to_bytes(), signing: Some(&identity.signing) };
        let cert = params.self_signed(&key).map_err(|e| Error::invalid("certificate", e.to_string()))?;
        Ok(Self { cert: cert.der().to_vec(), identity, params })
    }

    /// An intermediate CA whose certificate this CA issues.
    pub fn intermediate(&self, identity: Identity, spec: &CertificateSpec) -> Result<Self, Error> {
        let spec = CertificateSpec { ca: true, ..spec.clone() };
        let cert = self.issue(&identity.public(), &spec)?;
        Ok(Self { params: params(&spec)?, identity, cert })
    }

    /// This CA's certificate (DER).
    pub fn certificate(&self) -> &[u8] {
        &self.cert
    }

    /// This CA's identity (whoever holds it can issue anything: the anchor's secret).
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// A certificate for `subject` (an Ed25519 public key), issued by this CA (DER).
    pub fn issue(&self, subject: &VerifyingKey, spec: &CertificateSpec) -> Result<Vec<u8>, Error> {
        if subject.is_weak() {
            return Err(Error::invalid("publicKey", "is a small-order (weak) Ed25519 key"));
        }
        let signer = Ed25519Key { public: self.identity.public().to_bytes(), signing: Some(&self.identity.signing) };
        let issuer = Issuer::from_params(&self.params, signer);
        let subject = Ed25519Key { public: subject.to_bytes(), signing: None };
        let cert =
            params(spec)?.signed_by(&subject, &issuer).map_err(|e| Error::invalid("certificate", e.to_string()))?;
        Ok(cert.der().to_vec())
    }
}

/// One parsed certificate's facts.
struct Parsed<'a> {
    cert: X509Certificate<'a>,
    key: VerifyingKey,
}

fn parse(der: &[u8]) -> Result<Parsed<'_>, Error> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| TrustError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(TrustError::Malformed("bytes after the certificate".into()).into());
    }
    let spki = cert.public_key();
    // id-Ed25519 (RFC 8410): 1.3.101.112.
    if spki.algorithm.algorithm.to_id_string() != "1.3.101.112" {
        return Err(TrustError::Malformed("not an Ed25519 key".into()).into());
    }
    let raw: [u8; 32] = spki
        .subject_public_key
        .data
        .as_ref()
        .try_into()
        .map_err(|_| TrustError::Malformed("an Ed25519 key is 32 bytes".into()))?;
    let key = VerifyingKey::from_bytes(&raw).map_err(|_| TrustError::Malformed("not a valid Ed25519 key".into()))?;
    if key.is_weak() {
        return Err(TrustError::Malformed("a small-order (weak) Ed25519 key".into()).into());
    }
    Ok(Parsed { cert, key })
}

fn name(cert: &X509Certificate<'_>) -> String {
    cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok()).unwrap_or("").to_string()
}

fn serial(cert: &X509Certificate<'_>) -> u64 {
    cert.serial.iter_u64_digits().next().unwrap_or(0)
}

/// What a certificate says, for display (nothing here is verified: see [`verify_chain`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateInfo {
    /// The subject's common name.
    pub subject: String,
    /// The issuer's common name.
    pub issuer: String,
    /// The serial number, in decimal (serials run to 20 bytes).
    pub serial: String,
    /// Valid from (Unix seconds).
    pub not_before: i64,
    /// Valid until (Unix seconds).
    pub not_after: i64,
    /// A CA certificate.
    pub ca: bool,
    /// The subject's Ed25519 public key.
    #[serde(with = "serde_bytes")]
    pub public_key: Vec<u8>,
}

/// Reads a certificate's subject, issuer, serial, validity, CA flag and key, without verifying
/// anything; refuses what [`verify_chain`] could not read either.
pub fn describe(der: &[u8]) -> Result<CertificateInfo, Error> {
    let c = parse(der)?;
    let issuer = c.cert.issuer().iter_common_name().next().and_then(|cn| cn.as_str().ok()).unwrap_or("").to_string();
    Ok(CertificateInfo {
        subject: name(&c.cert),
        issuer,
        serial: c.cert.serial.to_str_radix(10),
        not_before: c.cert.validity().not_before.timestamp(),
        not_after: c.cert.validity().not_after.timestamp(),
        ca: c.cert.is_ca(),
        public_key: c.key.to_bytes().to_vec(),
    })
}

/// Refuses a certificate with a critical extension this verifier does not understand (RFC
/// 5280, section 4.2).
fn known_critical(c: &Parsed<'_>) -> Result<(), Error> {
    use x509_parser::extensions::ParsedExtension;
    for ext in c.cert.extensions() {
        if ext.critical && matches!(ext.parsed_extension(), ParsedExtension::UnsupportedExtension { .. }) {
            return Err(
                TrustError::Malformed(format!("an unknown critical extension ({})", ext.oid.to_id_string())).into()
            );
        }
    }
    Ok(())
}

/// Whether `issuer` may sign certificates with `below` CA certificates under it before the
/// leaf (RFC 5280, section 4.2.1.9): a CA, `keyCertSign` in its key usage when it has one, and
/// a path length constraint, if any, not exceeded.
fn may_issue(issuer: &Parsed<'_>, below: usize) -> Result<(), Error> {
    let bc = issuer.cert.basic_constraints().ok().flatten();
    let Some(bc) = bc.filter(|b| b.value.ca) else {
        return Err(TrustError::NotCa(name(&issuer.cert)).into());
    };
    if bc.value.path_len_constraint.is_some_and(|n| below > n as usize) {
        return Err(
            TrustError::NotCa(format!("{} (path length {below} exceeds its constraint)", name(&issuer.cert))).into()
        );
    }
    if let Ok(Some(ku)) = issuer.cert.key_usage()
        && !ku.value.key_cert_sign()
    {
        return Err(TrustError::NotCa(format!("{} (no keyCertSign)", name(&issuer.cert))).into());
    }
    Ok(())
}

/// Checks that `issuer` signed `cert`.
fn signed_by(cert: &Parsed<'_>, issuer: &Parsed<'_>) -> Result<(), Error> {
    if cert.cert.issuer() != issuer.cert.subject() {
        return Err(TrustError::UnknownIssuer(name(&cert.cert)).into());
    }
    if cert.cert.signature_algorithm.algorithm.to_id_string() != "1.3.101.112" {
        return Err(TrustError::Malformed("not signed with Ed25519".into()).into());
    }
    let sig = Signature::from_slice(cert.cert.signature_value.data.as_ref())
        .map_err(|_| TrustError::BadSignature(name(&cert.cert)))?;
    issuer
        .key
        .verify_strict(cert.cert.tbs_certificate.as_ref(), &sig)
        .map_err(|_| TrustError::BadSignature(name(&cert.cert)).into())
}

/// Verifies `chain` (the leaf first, then intermediates) up to `root`, the CA certificate the
/// verifier trusts, at Unix time `now`: every signature, every issuer a CA, every certificate
/// (root included) within its validity period and not revoked (`revoked` serial numbers), the
/// leaf named `expected`. Returns the leaf's public key.
pub fn verify_chain(
    chain: &[Vec<u8>],
    root: &[u8],
    expected: &str,
    now: i64,
    revoked: &[u64],
) -> Result<VerifyingKey, Error> {
    let root = parse(root)?;
    signed_by(&root, &root)?;
    known_critical(&root)?;
    let certs: Vec<Parsed<'_>> = chain.iter().map(|c| parse(c)).collect::<Result<_, _>>()?;
    let leaf = certs.first().ok_or_else(|| Error::invalid("chain", "holds no certificate"))?;
    for (i, c) in certs.iter().chain(std::iter::once(&root)).enumerate() {
        let validity = c.cert.validity();
        if now < validity.not_before.timestamp() || now > validity.not_after.timestamp() {
            return Err(TrustError::Expired { name: name(&c.cert), now }.into());
        }
        if revoked.contains(&serial(&c.cert)) && i < certs.len() {
            return Err(TrustError::Revoked { name: name(&c.cert), serial: serial(&c.cert) }.into());
        }
    }
    for (i, c) in certs.iter().enumerate() {
        known_critical(c)?;
        signed_by(c, certs.get(i + 1).unwrap_or(&root))?;
        // The issuer has `i` CA certificates below it (the intermediates between it and the leaf).
        may_issue(certs.get(i + 1).unwrap_or(&root), i)?;
    }
    // The leaf identifies a party: a CA certificate is not accepted in its place.
    if leaf.cert.is_ca() {
        return Err(TrustError::NotCa(format!("{} is a CA certificate, not a party's", name(&leaf.cert))).into());
    }
    let got = name(&leaf.cert);
    if got != expected {
        return Err(TrustError::WrongName { expected: expected.into(), got }.into());
    }
    Ok(leaf.key)
}
