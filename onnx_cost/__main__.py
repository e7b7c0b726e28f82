from onnx_cost.cli import main

main()
