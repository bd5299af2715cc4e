# The remote cache settings: a URL of a scheme promptbuild cannot use, a
# setting of the wrong type, a key that is not an Ed25519 public key.

promptbuild {
  remote_cache        = "ftp://cache.example.com/pb" # ERROR: Unsupported remote cache URL scheme
  remote_cache_upload = "no" # ERROR: Incorrect attribute value type
  remote_cache_keys   = ["not-a-key"] # ERROR: Invalid public key
}

provider "p" {
  type = "mock"
}

template "t" {
  text = "hi"
}

run "a" {
  template = template.t
  provider = provider.p
}
