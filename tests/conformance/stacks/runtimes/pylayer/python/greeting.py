def greet(who):
    return f"hello from the layer, {who}"
