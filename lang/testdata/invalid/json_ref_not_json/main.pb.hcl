variable "fmt" {
  default = "text"
}

provider "m" {
  type = "mock"
}

template "t" {
  text = "${p}"
}

template "reads_json" {
  text = "Label: ${run.plain.json.label}" # ERROR: Run answer is not JSON
}

run "plain" {
  template = template.t
  provider = provider.m
  vars     = { p = "Classify" }
}

run "by_var" {
  template = template.t
  provider = provider.m
  vars     = { p = "Classify" }
  format   = var.fmt
}

run "text_format" {
  template = template.t
  provider = provider.m
  vars     = { p = "Classify" }
  format   = "text"
}

run "good" {
  template = template.t
  provider = provider.m
  vars     = { p = "Classify" }
  format   = "json"
}

run "use" {
  template = template.t
  provider = provider.m
  vars = {
    p = join(" ", [
      run.plain.json.label, # ERROR: Run answer is not JSON
      run.by_var.json.label, # ERROR: Run answer is not JSON
      run.text_format.json, # ERROR: Run answer is not JSON
      run.good.json.label,
      run.plain.output,
    ])
  }
}

run "use_template" {
  template = template.reads_json
  provider = provider.m
}
