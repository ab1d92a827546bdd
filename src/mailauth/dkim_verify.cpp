#include "mailauth/dkim_verify.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <fmt/format.h>

#include <charconv>
#include <map>

#include "core/base64.hpp"
#include "core/text.hpp"

namespace tern::dkim {

namespace {

bool is_fws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string without_fws(std::string_view text) {
  std::string out;
  for (char c : text)
    if (!is_fws(c)) out += c;
  return out;
}

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_tag_char(char c) { return is_alpha(c) || (c >= '0' && c <= '9') || c == '_'; }

// RFC 6376 3.2: tag=value pairs separated by ";", FWS around each part.
Result<std::map<std::string, std::string>> parse_tags(std::string_view list) {
  std::map<std::string, std::string> tags;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    std::size_t end = list.find(';', pos);
    if (end == std::string_view::npos) end = list.size();
    std::string_view spec = list.substr(pos, end - pos);
    pos = end + 1;
    if (text::trim(spec, " \t\r\n").empty()) {
      if (end == list.size()) break;
      continue;  // an empty spec: a trailing ";" (or ";;", tolerated)
    }
    std::size_t eq = spec.find('=');
    if (eq == std::string_view::npos) return make_error(Errc::invalid, "a tag without '='");
    std::string_view name = text::trim(spec.substr(0, eq), " \t\r\n");
    if (name.empty() || !is_alpha(name.front())) return make_error(Errc::invalid, "a malformed tag name");
    for (char c : name)
      if (!is_tag_char(c)) return make_error(Errc::invalid, "a malformed tag name");
    std::string_view value = text::trim(spec.substr(eq + 1), " \t\r\n");
    if (!tags.emplace(std::string(name), std::string(value)).second)
      return make_error(Errc::invalid, fmt::format("tag {}= appears twice", name));
    if (end == list.size()) break;
  }
  return tags;
}

Result<std::uint64_t> parse_number(std::string_view tag, std::string_view value) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size())
    return make_error(Errc::invalid, fmt::format("{}= is not a number", tag));
  return n;
}

Result<std::string> decode_base64(std::string_view tag, std::string_view value) {
  auto decoded = base64::decode(without_fws(value));
  if (!decoded) return make_error(Errc::invalid, fmt::format("{}= is not base64", tag));
  return std::move(*decoded);
}

Result<Canonicalization> parse_canonicalization(std::string_view name) {
  if (name == "simple") return Canonicalization::simple;
  if (name == "relaxed") return Canonicalization::relaxed;
  return make_error(Errc::invalid, fmt::format("unknown canonicalization '{}'", name));
}

// `identity`'s domain is `domain` or one of its subdomains (RFC 6376 3.5 i=).
bool identity_within(std::string_view identity, std::string_view domain) {
  auto at = identity.rfind('@');
  if (at == std::string_view::npos) return false;
  std::string host = text::to_lower(identity.substr(at + 1));
  return host == domain || (host.size() > domain.size() && host.ends_with(domain) &&
                            host[host.size() - domain.size() - 1] == '.');
}

}  // namespace

const char* status_name(Status status) {
  switch (status) {
    case Status::pass: return "pass";
    case Status::fail: return "fail";
    case Status::neutral: return "neutral";
    case Status::policy: return "policy";
    case Status::temperror: return "temperror";
    case Status::permerror: return "permerror";
  }
  return "permerror";
}

Result<Signature> parse_signature(const RawField& field) {
  std::size_t colon = field.text.find(':');
  if (colon == std::string_view::npos) return make_error(Errc::invalid, "not a header field");
  auto parsed = parse_tags(field.text.substr(colon + 1));
  if (!parsed) return std::move(parsed).error();
  auto& tags = *parsed;
  for (const char* required : {"v", "a", "b", "bh", "d", "h", "s"})
    if (!tags.contains(required)) return make_error(Errc::invalid, fmt::format("no {}= tag", required));

  Signature s;
  if (tags["v"] != "1") return make_error(Errc::invalid, "v= is not 1");
  const std::string algorithm = text::to_lower(tags["a"]);
  if (algorithm == "rsa-sha256") s.type = KeyType::rsa;
  else if (algorithm == "ed25519-sha256") s.type = KeyType::ed25519;
  else if (algorithm == "rsa-sha1") return make_error(Errc::invalid, "rsa-sha1 is not accepted (RFC 8301)");
  else return make_error(Errc::invalid, fmt::format("unknown algorithm '{}'", tags["a"]));

  if (auto c = tags.find("c"); c != tags.end()) {
    std::string_view value = c->second;
    std::size_t slash = value.find('/');
    auto header_c = parse_canonicalization(value.substr(0, slash));
    if (!header_c) return std::move(header_c).error();
    s.header_c = *header_c;
    if (slash != std::string_view::npos) {
      auto body_c = parse_canonicalization(value.substr(slash + 1));
      if (!body_c) return std::move(body_c).error();
      s.body_c = *body_c;
    }
  }

  s.domain = text::to_lower(tags["d"]);
  if (s.domain.empty() || s.domain.find_first_of(" \t;@") != std::string::npos)
    return make_error(Errc::invalid, "d= is not a domain");
  s.selector = without_fws(tags["s"]);
  if (s.selector.empty()) return make_error(Errc::invalid, "s= is empty");

  for (std::string_view rest = tags["h"]; !rest.empty();) {
    std::size_t c = rest.find(':');
    std::string name = text::to_lower(text::trim(rest.substr(0, c), " \t\r\n"));
    if (name.empty()) return make_error(Errc::invalid, "h= has an empty name");
    s.headers.push_back(std::move(name));
    if (c == std::string_view::npos) break;
    rest.remove_prefix(c + 1);
  }
  bool has_from = false;
  for (const auto& h : s.headers) has_from = has_from || h == "from";
  if (!has_from) return make_error(Errc::invalid, "h= does not include From");

  if (auto i = tags.find("i"); i != tags.end()) {
    s.identity = i->second;
    if (!identity_within(s.identity, s.domain)) return make_error(Errc::invalid, "i= is not within d=");
  } else {
    s.identity = "@" + s.domain;
  }
  if (auto q = tags.find("q"); q != tags.end() && q->second.find("dns/txt") == std::string::npos)
    return make_error(Errc::invalid, "q= does not offer dns/txt");
  if (auto l = tags.find("l"); l != tags.end()) {
    auto n = parse_number("l", l->second);
    if (!n) return std::move(n).error();
    s.length = *n;
  }
  if (auto t = tags.find("t"); t != tags.end()) {
    auto n = parse_number("t", t->second);
    if (!n) return std::move(n).error();
    s.timestamp = static_cast<std::int64_t>(*n);
  }
  if (auto x = tags.find("x"); x != tags.end()) {
    auto n = parse_number("x", x->second);
    if (!n) return std::move(n).error();
    s.expiration = static_cast<std::int64_t>(*n);
    if (s.timestamp && *s.expiration < *s.timestamp) return make_error(Errc::invalid, "x= is before t=");
  }
  auto bh = decode_base64("bh", tags["bh"]);
  if (!bh) return std::move(bh).error();
  s.body_hash = std::move(*bh);
  s.b_text = without_fws(tags["b"]);
  auto b = decode_base64("b", tags["b"]);
  if (!b) return std::move(b).error();
  if (b->empty()) return make_error(Errc::invalid, "b= is empty");
  s.signature = std::move(*b);
  return s;
}

std::string key_name(const Signature& signature) { return signature.selector + "._domainkey." + signature.domain; }

Result<PublicKey> parse_key_record(std::string_view record) {
  auto parsed = parse_tags(record);
  if (!parsed) return std::move(parsed).error();
  auto& tags = *parsed;
  if (auto v = tags.find("v"); v != tags.end() && v->second != "DKIM1")
    return make_error(Errc::invalid, "the key record's v= is not DKIM1");
  if (auto h = tags.find("h"); h != tags.end() && h->second.find("sha256") == std::string::npos)
    return make_error(Errc::invalid, "the key does not allow sha256");
  if (auto s = tags.find("s"); s != tags.end() && s->second.find('*') == std::string::npos &&
                               s->second.find("email") == std::string::npos)
    return make_error(Errc::invalid, "the key is not for email");
  PublicKey key;
  std::string k = tags.contains("k") ? text::to_lower(tags["k"]) : "rsa";
  if (k == "rsa") key.type = KeyType::rsa;
  else if (k == "ed25519") key.type = KeyType::ed25519;
  else return make_error(Errc::invalid, fmt::format("unknown key type '{}'", k));
  if (auto t = tags.find("t"); t != tags.end()) {
    for (std::string_view rest = t->second; !rest.empty();) {
      std::size_t c = rest.find(':');
      std::string_view flag = text::trim(rest.substr(0, c), " \t\r\n");
      if (flag == "y") key.testing = true;
      if (flag == "s") key.strict = true;
      if (c == std::string_view::npos) break;
      rest.remove_prefix(c + 1);
    }
  }
  if (!tags.contains("p")) return make_error(Errc::invalid, "the key record has no p=");
  auto p = decode_base64("p", tags["p"]);
  if (!p) return std::move(p).error();
  if (p->empty()) return make_error(Errc::not_found, "the key is revoked");
  const auto* der = reinterpret_cast<const unsigned char*>(p->data());
  EVP_PKEY* pkey = nullptr;
  if (key.type == KeyType::ed25519) {
    if (p->size() == 32) pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, der, p->size());
  } else {
    const unsigned char* in = der;
    pkey = d2i_PUBKEY(nullptr, &in, static_cast<long>(p->size()));
    if (pkey == nullptr) {  // RFC 6376 as written: a bare RSAPublicKey
      in = der;
      pkey = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &in, static_cast<long>(p->size()));
    }
    if (pkey != nullptr && EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA) {
      EVP_PKEY_free(pkey);
      pkey = nullptr;
    }
  }
  ERR_clear_error();
  if (pkey == nullptr) return make_error(Errc::invalid, "p= is not a usable public key");
  key.key = std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free);
  key.bits = static_cast<unsigned>(EVP_PKEY_get_bits(pkey));
  return key;
}

std::vector<RawField> signature_fields(std::string_view header, std::size_t limit) {
  std::vector<RawField> out;
  for (const auto& f : split_header(header)) {
    if (out.size() >= limit) break;
    if (text::iequals(f.name, "DKIM-Signature")) out.push_back(f);
  }
  return out;
}

std::string signed_header_data(const Signature& signature, const RawField& field, std::string_view header) {
  auto fields = split_header(header);
  std::map<std::string, std::size_t> used;  // per name: instances taken from the bottom
  std::string data;
  for (const auto& name : signature.headers) {
    std::size_t skip = used[name]++;
    for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
      if (!text::iequals(it->name, name)) continue;
      if (skip-- > 0) continue;
      data += canonical_header(*it, signature.header_c);
      break;
    }
  }
  // The signature itself, its b= value removed (as dkimpy and OpenDKIM do:
  // the base64 characters and the FWS between them, and a final CRLF).
  std::string self(field.text);
  for (std::size_t at = 0; (at = self.find("b", at)) != std::string::npos; ++at) {
    bool starts_tag = at == 0 || self[at - 1] == ';' || is_fws(self[at - 1]) || self[at - 1] == ':';
    std::size_t eq = at + 1;
    while (eq < self.size() && is_fws(self[eq])) ++eq;
    if (!starts_tag || eq >= self.size() || self[eq] != '=') continue;
    std::size_t end = eq + 1;
    while (end < self.size() && self[end] != ';') ++end;
    std::size_t value_end = eq + 1;
    for (std::size_t j = eq + 1; j < end; ++j)  // FWS then base64, repeated
      if (!is_fws(self[j])) value_end = j + 1;
    if (end == self.size()) value_end = end;  // the last tag: its trailing FWS and CRLF go too
    self.erase(eq + 1, value_end - (eq + 1));
    break;
  }
  std::string canonical = canonical_header(RawField{field.name, self}, signature.header_c);
  while (!canonical.empty() && is_fws(canonical.back())) canonical.pop_back();
  data += canonical;
  return data;
}

Verdict verify(const RawField& field, std::string_view header, std::string_view body, const KeyLookup& lookup,
               std::int64_t now) {
  BodyHashes hashes;
  return verify(field, parse_signature(field), header, body, lookup, now, hashes);
}

Verdict verify(const RawField& field, const Result<Signature>& parsed, std::string_view header,
               std::string_view body, const KeyLookup& lookup, std::int64_t now, BodyHashes& hashes) {
  Verdict v;
  if (!parsed) {
    v.status = Status::permerror;
    v.reason = parsed.error().message;
    return v;
  }
  const Signature& s = *parsed;
  v.domain = s.domain;
  v.selector = s.selector;
  v.identity = s.identity;
  v.algorithm = algorithm_name(s.type);
  v.b_prefix = s.b_text.substr(0, 8);
  auto done = [&](Status status, std::string reason) {
    v.status = status;
    v.reason = std::move(reason);
    return v;
  };
  if (s.length) return done(Status::policy, "l= covers only part of the body");
  if (s.expiration && *s.expiration < now) return done(Status::fail, "the signature has expired");

  if (lookup.outcome == KeyLookup::Outcome::temporary_failure)
    return done(Status::temperror, "key lookup failed for now");
  if (lookup.outcome == KeyLookup::Outcome::not_found || lookup.records.empty())
    return done(Status::permerror, "no key for the signature");
  auto key = parse_key_record(lookup.records.front());
  if (!key) return done(Status::permerror, key.error().message);
  v.bits = key->bits;
  if (key->type != s.type) return done(Status::permerror, "the key's type is not the signature's");
  if (key->strict && s.identity.substr(s.identity.rfind('@') + 1) != s.domain)
    return done(Status::permerror, "the key requires i= to be d= (t=s)");
  if (key->type == KeyType::rsa && key->bits < 1024)
    return done(Status::fail, fmt::format("{}-bit RSA key is too short", key->bits));

  std::optional<Digest>& known = s.body_c == Canonicalization::simple ? hashes.simple : hashes.relaxed;
  if (!known) known = body_hash(body, s.body_c);
  const Digest& bh = *known;
  if (s.body_hash != std::string_view(reinterpret_cast<const char*>(bh.data()), bh.size()))
    return done(Status::fail, "body hash mismatch");

  std::string data = signed_header_data(s, field, header);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  std::string_view input = data;
  const EVP_MD* md = EVP_sha256();
  if (s.type == KeyType::ed25519) {
    EVP_Digest(data.data(), data.size(), digest, &digest_size, EVP_sha256(), nullptr);
    input = std::string_view(reinterpret_cast<const char*>(digest), digest_size);
    md = nullptr;
  }
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key->key.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(s.signature.data()),
                             s.signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
  ERR_clear_error();
  if (!ok) return done(Status::fail, "signature verification failed");
  return done(Status::pass, "");
}

}  // namespace tern::dkim
