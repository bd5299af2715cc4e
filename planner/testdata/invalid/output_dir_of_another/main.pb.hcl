provider "m" {
  type = "mock"
}

template "t" {
  text = "Hi"
}

# out/x-y.txt sorts between out/x and out/x/y.txt: the clash is found all
# the same.
run "dir" {
  template = template.t
  provider = provider.m
  output   = "out/x" # ERROR: Output path is another output's directory
}

run "between" {
  template = template.t
  provider = provider.m
  output   = "out/x-y.txt"
}

run "below" {
  template = template.t
  provider = provider.m
  output   = "out/x/y.txt"
}

# Deeper, and through for_each.
run "deep" {
  for_each = toset(["a", "a-b", "a.b"])
  template = template.t
  provider = provider.m
  output   = "deep/${each.key}" # ERROR: Output path is another output's directory
}

run "deeper" {
  template = template.t
  provider = provider.m
  output   = "deep/a/b/c.txt"
}

# A shared prefix is not a directory: out/a and out/a.md, out/ab do not clash.
run "plain" {
  template = template.t
  provider = provider.m
  output   = "out/a"
}

run "suffixed" {
  template = template.t
  provider = provider.m
  output   = "out/a.md"
}

run "longer" {
  template = template.t
  provider = provider.m
  output   = "out/ab"
}
