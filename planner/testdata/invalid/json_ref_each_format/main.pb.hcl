provider "m" {
  type = "mock"
}

template "t" {
  text = "${p}"
}

run "r" {
  for_each = { a = "json", b = "text" }
  template = template.t
  provider = provider.m
  vars     = { p = "Answer in ${each.value}" }
  format   = each.value
}

run "use" {
  template = template.t
  provider = provider.m
  vars = {
    p = "${run.r["a"].json.label} ${run.r["b"].json.label}" # ERROR: Run answer is not JSON
  }
}
