ec
[
PyFuncPyFuncserving_default_input_1*
Tin
2*
Tout
2*
token
pyfunc_0
ÿÿ
