import FERModel
print("ferdash skeleton")
