variable "required" { # ERROR: No value for required variable
}

variable "nulled" {
  default = null # ERROR: Invalid default value
}

variable "dynamic" {
  default = var.required # ERROR: Variables not allowed
}

variable "bad name" { # ERROR: Invalid variable name
  default = 1
}

provider "p" {
  type  = "openai"
  model = var.required
}
