provider "local" {
  type  = "ollama"
  model = "llava"
}

provider "m" {
  type = "mock"
}

input "docs" {
  glob = "docs/*.pdf"
}

input "mixed" {
  glob = "mixed/*"
}

template "t" {
  text = "Describe it."
}

run "pdf_to_ollama" {
  for_each    = input.docs
  template    = template.t
  provider    = provider.local
  attachments = [each.value] # ERROR: Unsupported attachment
}

run "text_in_glob" {
  template    = template.t
  provider    = provider.m
  attachments = [input.mixed] # ERROR: Invalid attachment
}

run "all_files" {
  template    = template.t
  provider    = provider.m
  attachments = values(input.docs)
}
